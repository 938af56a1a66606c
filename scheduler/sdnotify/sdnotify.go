// Package sdnotify tells systemd how the service is doing, as sd_notify(3)
// does: a datagram to the socket in NOTIFY_SOCKET with lines such as
// READY=1, STOPPING=1, WATCHDOG=1 and STATUS=…. Without NOTIFY_SOCKET (not
// started by systemd with Type=notify) every call does nothing.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// States sent to systemd.
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// Notify sends state to systemd. It reports whether there was a socket to
// send to.
func Notify(state string) (bool, error) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return false, nil
	}
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:] // an abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return true, fmt.Errorf("notify systemd: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return true, fmt.Errorf("notify systemd: %w", err)
	}
	return true, nil
}

// WatchdogInterval is how often systemd expects WATCHDOG=1 (WatchdogSec=
// in the unit), from WATCHDOG_USEC, if the watchdog is on for this
// process.
func WatchdogInterval() (time.Duration, error) {
	usec := os.Getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, nil
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, nil // meant for another process
	}
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("WATCHDOG_USEC is not a positive number")
	}
	return time.Duration(n) * time.Microsecond, nil
}
