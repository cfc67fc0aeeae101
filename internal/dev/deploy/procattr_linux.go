package deploy

import "syscall"

// sysProcAttr puts the emulator in its own process group, so Stop kills it
// with the function it runs, and has the kernel SIGKILL it when the thread
// that started it dies: a test that panics or times out leaves nothing
// running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
