// Package queue sends the service's SQS messages: import jobs on the FIFO
// imports queue and email jobs on the mail queue. Messages carry ids only.
package queue
