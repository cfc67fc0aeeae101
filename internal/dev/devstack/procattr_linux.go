package devstack

import "syscall"

// sysProcAttr puts the server in its own process group, so Stop can kill it
// with anything it spawned, and has the kernel SIGKILL it when the thread
// that started it dies: a test binary that panics, times out or is killed
// must not leave an emulator running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
