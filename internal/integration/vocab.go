package integration

import "github.com/peoplesync/peoplesync/internal/engine"

// The words the API reports runs and integrations in, each list in its
// constants' order: the admin console labels every one of them, and its
// test compares its labels with these lists.

// RunStatuses are every run Status.
func RunStatuses() []Status {
	return []Status{StatusQueued, StatusRunning, StatusHeld, StatusSucceeded, StatusSucceededWithErrors, StatusFailed, StatusCancelled}
}

// Phases are every Phase of a running run.
func Phases() []Phase { return []Phase{PhaseFetching, PhasePlanning, PhaseApplying, PhaseEmailing} }

// Triggers are every Trigger.
func Triggers() []Trigger {
	return []Trigger{TriggerSchedule, TriggerManual, TriggerApproval, TriggerPeopleHRChange}
}

// States are every integration State.
func States() []State { return []State{StateDraft, StateLive, StateNeedsReauthorization} }

// ActionSkip is the LogEntry.Action of a record a run skipped; every other
// action is the engine.Kind of the member's change.
const ActionSkip = "skip"

// LogActions are every LogEntry.Action.
func LogActions() []string {
	var out []string
	for _, k := range engine.Kinds() {
		out = append(out, string(k))
	}
	return append(out, ActionSkip)
}
