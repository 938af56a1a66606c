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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := newApp(os.Stdout, os.Stderr)
	if err := a.root().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "retentiond:", err)
		os.Exit(1)
	}
}
