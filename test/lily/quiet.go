package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// silenceQuietRun sends this run's output to /dev/null when
// LILY_FAKE_QUIET_RUNS=<command>:<n> names its command and fewer than n runs
// of it came before, counted in a file in LILY_REPO (a volume, which outlives
// a container's restart). A reader of its log then finds no line, as of a run
// whose container the kubelet removed before its log was read.
func silenceQuietRun(args []string) {
	command, runs, ok := strings.Cut(os.Getenv("LILY_FAKE_QUIET_RUNS"), ":")
	quiet, err := strconv.Atoi(runs)
	repo := os.Getenv("LILY_REPO")
	if !ok || err != nil || repo == "" || !slices.Contains(args, command) {
		return
	}
	counter := filepath.Join(repo, ".fake-runs-"+command)
	before, _ := os.ReadFile(counter)
	done, _ := strconv.Atoi(strings.TrimSpace(string(before)))
	_ = os.WriteFile(counter, []byte(strconv.Itoa(done+1)), 0o600)
	if done >= quiet {
		return
	}
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		_ = syscall.Dup3(int(null.Fd()), 1, 0)
		_ = syscall.Dup3(int(null.Fd()), 2, 0)
	}
}
