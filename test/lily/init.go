package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// initCommand is `lily init [--import-snapshot=<file>]`: the repo, the proof
// parameters, then the snapshot import with
// its progress on stdout. A snapshot is a CAR file: a varint-prefixed header
// first, so an empty or cut file fails as Lily's reader does.
func initCommand(global *flagSet, args []string) error {
	flags := newFlags("init", "")
	flags.str("repo", "LILY_REPO", global.get("repo"))
	flags.str("config", "LILY_CONFIG", global.get("config"))
	flags.str("import-snapshot", "LILY_SNAPSHOT", "")
	flags.str("backfill-tipsetkey-range", "LILY_BACKFILL_TIPSETKEY_RANGE", "3600")
	if _, err := flags.parse(args, false); err != nil {
		return err
	}
	repo := flags.get("repo")
	infow("lily/commands", "commands/init.go:84", "lotus repo: "+repo)
	unlock, err := openRepo(repo, "datastore")
	if err != nil {
		return err
	}
	defer unlock()
	snapshot := flags.get("import-snapshot")
	if snapshot == "" {
		return nil
	}
	infow("lily/commands", "commands/util/import.go:63", fmt.Sprintf("importing chain from %s...", snapshot))
	file, err := os.Open(snapshot)
	if err != nil {
		return err
	}
	defer file.Close()
	size := int64(-1)
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	reader := bufio.NewReader(file)
	headerLen, err := binary.ReadUvarint(reader)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("peek header: EOF")
		}
		return fmt.Errorf("importing chain failed: loadcar failed: %w", err)
	}
	if _, err := reader.Discard(int(headerLen)); err != nil {
		return fmt.Errorf("importing chain failed: loadcar failed: invalid header: %w", err)
	}
	// The import writes the chain into the datastore, as Lily's does: a
	// datastore too small for it fails with the kernel's ENOSPC.
	chainDir := filepath.Join(repo, "datastore", "chain")
	if err := os.MkdirAll(chainDir, 0o700); err != nil {
		return fmt.Errorf("importing chain failed: %w", err)
	}
	store, err := os.Create(filepath.Join(chainDir, "000001.vlog"))
	if err != nil {
		return fmt.Errorf("importing chain failed: %w", err)
	}
	defer store.Close()
	// Lily's import holds the chain's state in memory: LILY_FAKE_IMPORT_MEMORY
	// (bytes, or with Ki/Mi/Gi) of it, touched, so a container limit below it
	// is an OOM kill, as a mainnet import in the chart's 16Gi can be.
	held := make([]byte, envBytes("LILY_FAKE_IMPORT_MEMORY"))
	for i := 0; i < len(held); i += 4096 {
		held[i] = 1
	}
	hash := sha256.New()
	var read atomic.Int64
	buf := make([]byte, 64*1024)
	began := time.Now()
	stopBar := drawBar(&read, size)
	defer stopBar()
	// LILY_FAKE_IMPORT_TIME paces the import to last about that long (a
	// mainnet import takes hours), so its progress can be watched.
	pace := time.Duration(0)
	if total := envDuration("LILY_FAKE_IMPORT_TIME", 0); total > 0 && size > 0 {
		pace = time.Duration(float64(total) * float64(len(buf)) / float64(size))
	}
	// LILY_FAKE_IMPORT_STALL_AFTER: the datastore stops taking writes that long
	// after the import began (a network volume that hangs); the import waits
	// for ever, its bar redrawn unchanged.
	stallAfter := envDuration("LILY_FAKE_IMPORT_STALL_AFTER", 0)
	for {
		time.Sleep(pace)
		if stallAfter > 0 && time.Since(began) >= stallAfter {
			select {}
		}
		n, err := reader.Read(buf)
		hash.Write(buf[:n])
		if _, werr := store.Write(buf[:n]); werr != nil {
			return fmt.Errorf("importing chain failed: %w", werr)
		}
		read.Add(int64(n))
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("importing chain failed: %w", err)
		}
	}
	if err := store.Sync(); err != nil {
		return fmt.Errorf("importing chain failed: %w", err)
	}
	stopBar()
	fmt.Print("\r" + progressLine(read.Load(), size, time.Since(began)) + "\n")
	held = nil
	infow("lily/commands", "commands/util/import.go:142", "backfilling the tipsetkey into chainstore, attempt to backfill the last "+flags.get("backfill-tipsetkey-range")+" epochs starting from the head.")
	head := cidFor(fmt.Sprintf("%x", hash.Sum(nil)), 0)
	infow("chainstore", "chain/store/store.go:702", fmt.Sprintf("accepting [%s] as new head", head))
	return nil
}

// drawBar redraws the import's bar every 200 ms whatever the count, as pb
// does, so an import that stops moving repeats the same line; the function
// it returns stops it (once the error or the last line is to be printed).
// The bar has no newline: a container runtime writes it to the pod's log in
// 16 KiB pieces, a few a minute. LILY_FAKE_BAR_REFRESH redraws it more often,
// so that a test sees in seconds the pieces of an hours-long import.
func drawBar(read *atomic.Int64, size int64) func() {
	began := time.Now()
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(envDuration("LILY_FAKE_BAR_REFRESH", 200*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				fmt.Print("\r" + progressLine(read.Load(), size, time.Since(began)))
			case <-stop:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-stopped
		})
	}
}

// progressLine is pb's line without a terminal (no bar glyphs): counts,
// percent, the average speed since the start and the time left at it, so a
// stalled import's line still changes (its speed falls) but not its count.
func progressLine(read, size int64, elapsed time.Duration) string {
	speed := int64(0)
	if elapsed > 0 {
		speed = int64(float64(read) / elapsed.Seconds())
	}
	if size < 0 {
		return fmt.Sprintf(" %s / ? %s/s", bytesText(read), bytesText(speed))
	}
	pct := 100.0
	if size > 0 {
		pct = float64(read) * 100 / float64(size)
	}
	left := ""
	if read > 0 && read < size {
		left = " " + time.Duration(float64(elapsed)*float64(size-read)/float64(read)).Round(time.Second).String()
	}
	return fmt.Sprintf(" %s / %s %6.2f%% %s/s%s", bytesText(read), bytesText(size), pct, bytesText(speed), left)
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// envBytes reads a size such as 256Mi from the environment; 0 when unset.
func envBytes(name string) int {
	value := strings.TrimSpace(os.Getenv(name))
	units := map[string]int{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
	for suffix, unit := range units {
		if n, err := strconv.Atoi(strings.TrimSuffix(value, suffix)); err == nil && strings.HasSuffix(value, suffix) {
			return n * unit
		}
	}
	n, _ := strconv.Atoi(value)
	return n
}
