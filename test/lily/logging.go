package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Logs go to stderr as go-log writes them: with GOLOG_LOG_FMT=json one zap
// production-encoder object per line, else go-log's tab-separated text.

var logLevels = map[string]int{"debug": -1, "info": 0, "warn": 1, "error": 2, "dpanic": 3, "panic": 4, "fatal": 5}

var (
	logMu     sync.Mutex
	logJSON   bool
	logLevel  = 0
	logByName = map[string]int{}
)

func setupLogging() {
	switch format := os.Getenv("GOLOG_LOG_FMT"); format {
	case "json":
		logJSON = true
	case "", "color", "nocolor":
	default:
		fmt.Fprintf(os.Stderr, "ignoring unrecognized log format '%s'\n", format)
	}
	if level, ok := logLevels[strings.ToLower(os.Getenv("GOLOG_LOG_LEVEL"))]; ok {
		logLevel = level
	}
}

// setNamedLevels applies LILY_LOG_LEVEL_NAMED (logger:level,…) as Lily does at
// start; a logger it does not know is an error, as in go-log.
func setNamedLevels(spec string) error {
	if spec == "" {
		return nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, level, ok := strings.Cut(item, ":")
		if !ok {
			return fmt.Errorf("setup logging: invalid named log level format: %q", item)
		}
		if !knownLogger(name) {
			return fmt.Errorf("setup logging: set named log level %q to %q: error: No such logger", name, level)
		}
		lvl, known := logLevels[level]
		if !known {
			return fmt.Errorf("setup logging: set named log level %q to %q: unrecognized level: %q", name, level, level)
		}
		logByName[name] = lvl
	}
	return nil
}

// The loggers a Lily daemon registers that the chart's default
// logLevelNamed and the tests name.
var loggers = []string{"actors", "badgerbs", "chain", "cliutil", "lily/chain", "lily/commands", "lily/config", "lily/index", "lily/schedule", "lily/storage", "lily/watch", "paramfetch", "pubsub", "rpc", "vm"}

func knownLogger(name string) bool {
	for _, l := range loggers {
		if l == name {
			return true
		}
	}
	return false
}

type field struct {
	key   string
	value any
}

func f(key string, value any) field { return field{key, value} }

func logAt(level, logger, caller, msg string, fields ...field) {
	threshold := logLevel
	if l, ok := logByName[logger]; ok {
		threshold = l
	}
	if logLevels[level] < threshold {
		return
	}
	now := time.Now().UTC()
	logMu.Lock()
	defer logMu.Unlock()
	if logJSON {
		var b strings.Builder
		enc := func(v any) string { out, _ := json.Marshal(v); return string(out) }
		fmt.Fprintf(&b, `{"level":%s,"ts":%s,"logger":%s,"caller":%s,"msg":%s`,
			enc(level), enc(now.Format("2006-01-02T15:04:05.000Z0700")), enc(logger), enc(caller), enc(msg))
		for _, fl := range fields {
			if err, ok := fl.value.(error); ok {
				fl.value = err.Error()
			}
			fmt.Fprintf(&b, ",%s:%s", enc(fl.key), enc(fl.value))
		}
		b.WriteString("}\n")
		os.Stderr.WriteString(b.String())
		return
	}
	line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", now.Format("2006-01-02T15:04:05.000Z0700"), strings.ToUpper(level), logger, caller, msg)
	if len(fields) > 0 {
		m := map[string]any{}
		keys := []string{}
		for _, fl := range fields {
			if err, ok := fl.value.(error); ok {
				fl.value = err.Error()
			}
			m[fl.key] = fl.value
			keys = append(keys, fl.key)
		}
		sort.Strings(keys)
		out, _ := json.Marshal(m)
		line += "\t" + string(out)
	}
	os.Stderr.WriteString(line + "\n")
}

func infow(logger, caller, msg string, fields ...field) {
	logAt("info", logger, caller, msg, fields...)
}
func warnw(logger, caller, msg string, fields ...field) {
	logAt("warn", logger, caller, msg, fields...)
}
func errorw(logger, caller, msg string, fields ...field) {
	logAt("error", logger, caller, msg, fields...)
}

// fatalw logs at fatal level and exits 1, as zap's Fatal does.
func fatalw(logger, caller, msg string, fields ...field) {
	logAt("fatal", logger, caller, msg, fields...)
	os.Exit(1)
}
