//go:build unix && !linux

package devstack

import "syscall"

// sysProcAttr puts the server in its own process group, so Stop can kill it
// with anything it spawned. These systems have no parent-death signal: a
// test binary killed before Stop leaves the server running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
