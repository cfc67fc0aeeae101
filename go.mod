module github.com/peoplesync/peoplesync

go 1.26.8
