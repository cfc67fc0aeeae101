//go:build unix && !linux

package deploy

import "syscall"

// sysProcAttr puts the emulator in its own process group, so Stop kills it
// with the function it runs. These systems have no parent-death signal.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
