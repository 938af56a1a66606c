package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/scheduler"
)

// ignoredShown is how many files left out of a listing check names.
const ignoredShown = 10

// surveyRecordings lists a cctv source for check: how many recordings its
// folders hold, and the files in them that are not recordings, which the
// source never lists or deletes (a root pointed at a school share shows
// here as thousands of documents). Other kinds are not listed: it returns
// "".
func surveyRecordings(ctx context.Context, src configs.Source, conn connectors.Connector) (string, error) {
	if src.Kind.Name != "cctv" {
		return "", nil
	}
	var recordings, ignored int64
	var samples []scheduler.IgnoredFile
	opts := connectors.ListOptions{Ignored: func(ref, why string) {
		ignored++
		if len(samples) < ignoredShown {
			samples = append(samples, scheduler.IgnoredFile{Ref: ref, Why: why})
		}
	}}
	err := conn.List(ctx, opts, func(connectors.Item) error {
		recordings++
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("source %q: list recordings: %w", src.Name, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, ": %s", plural(int(recordings), "recording"))
	if ignored > 0 {
		fmt.Fprintln(&b)
		writeIgnored(&b, "  ", ignored, samples)
	}
	return string(bytes.TrimRight(b.Bytes(), "\n")), nil
}

// writeIgnored reports the files a source left out of its listing as not
// what it manages (not recordings), naming the first of them escaped.
func writeIgnored(w io.Writer, indent string, n int64, samples []scheduler.IgnoredFile) {
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "%sWARNING: %d files are not recordings: they were left out and are never deleted by this source (options.extensions lists the extensions of recordings; is options.root the recorder's folder?)\n", indent, n)
	for _, f := range samples {
		fmt.Fprintf(w, "%s    %s  (%s)\n", indent, esc(f.Ref), esc(f.Why))
	}
	if more := n - int64(len(samples)); more > 0 {
		fmt.Fprintf(w, "%s    … and %d more\n", indent, more)
	}
}
