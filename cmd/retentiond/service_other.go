//go:build !windows

package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/configs"
)

// defaultConfigFile is the configuration used without --config
// (configs.DefaultFile, which the mails' commands compare with).
func defaultConfigFile() string { return configs.DefaultFile() }

// runAsWindowsService runs `run` under the Windows service control
// manager; elsewhere there is none.
func (a *app) runAsWindowsService() (bool, error) { return false, nil }

func (a *app) serviceCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "service",
		Short: "Install and control the Windows service (on Linux, use the systemd unit)",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("retentiond service manages the Windows service; on Linux, install deploy/systemd/retentiond.service (or the .deb) and use systemctl")
		},
	}
}
