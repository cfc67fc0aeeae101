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

// AuditActions are every AuditEntry.Action.
func AuditActions() []string {
	return []string{AuditSettingsSaved, AuditMappingSaved, AuditKeyAdded, AuditKeyRevoked, AuditListenerMade, AuditListenerRevoked,
		AuditHeldApproved, AuditHeldDiscarded, AuditImportStarted, AuditExportRequested, AuditPublished, AuditUnpublished, AuditInvitationResent}
}

// ExportKinds are every ExportKind.
func ExportKinds() []ExportKind { return []ExportKind{ExportMembers, ExportAudit, ExportLog} }

// ExportFormats are every ExportFormat.
func ExportFormats() []ExportFormat { return []ExportFormat{FormatCSV, FormatJSONLines} }

// ExportStatuses are every ExportStatus.
func ExportStatuses() []ExportStatus { return []ExportStatus{ExportRunning, ExportDone, ExportFailed} }

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
