// Command retentiond enforces data-retention rules: it plans what is due,
// lets approvers approve it, deletes it and records every outcome in a
// signed, tamper-evident ledger. Run `retentiond help` for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// A reader that stops reading (`retentiond instructions | head -1`)
	// must not kill a command between what it recorded and what it still
	// has to do (write the instructions' files, sign a checkpoint): with
	// SIGPIPE ignored, writing to the closed pipe fails with EPIPE instead
	// (see os/signal), and the command finishes its work.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := newApp(os.Stdout, os.Stderr)
	if err := a.root().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "retentiond:", err)
		os.Exit(1)
	}
}
