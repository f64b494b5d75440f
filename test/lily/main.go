// Command lily is a fake of Lily, the Filecoin chain indexer, for the e2e
// tests that run the fixture chart on a real kubelet. It answers the calls the
// published Helm chart makes (shared/lily-runtime.md: init --import-snapshot,
// daemon, wait-api, sync wait, migrate, log set-level-regex, job run, job
// list) with Lily's output formats, exit codes and error messages, serves a
// JSON-RPC API whose chain head advances, and writes rows to Postgres through
// go-pg as Lily does. What it does is steered only by the environment
// (README.md), as a chart's values can set it.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

const version = "v0.24.3+fake"

// exitError is an error that leaves with its own code (a usage error's help
// was printed already, a fatal log line was written).
type exitError struct {
	code    int
	message string
}

func (e *exitError) Error() string { return e.message }

func main() {
	silenceQuietRun(os.Args[1:])
	err := run(os.Args[1:])
	if err == nil {
		return
	}
	// As Lily's main: every error on stdout, then exit 1.
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.message != "" {
			fmt.Fprintln(os.Stdout, exit.message)
		}
		os.Exit(exit.code)
	}
	fmt.Fprintln(os.Stdout, err.Error())
	os.Exit(1)
}

func run(args []string) error {
	global := newFlags("lily", "")
	global.bool("version", "v")
	global.str("repo", "LILY_REPO", "~/.lily")
	global.str("config", "LILY_CONFIG", "")
	global.str("api", "LILY_API", "/ip4/127.0.0.1/tcp/1234")
	global.str("api-token", "LILY_API_TOKEN", "")
	global.str("prometheus-port", "LILY_PROMETHEUS_PORT", ":9991")
	rest, err := global.parse(args, true)
	if err != nil {
		return err
	}
	if global.isSet("version") {
		fmt.Printf("lily version Lily Version: \t%s\n   NewestNetworkVersion: 27\n", version)
		return nil
	}
	if len(rest) == 0 {
		fmt.Println("NAME:\n   lily - a tool for capturing on-chain state from the filecoin network")
		return nil
	}
	setupLogging()
	cmd, rest := rest[0], rest[1:]
	switch cmd {
	case "daemon":
		return daemonCommand(global, rest)
	case "init":
		return initCommand(global, rest)
	case "wait-api":
		return waitAPICommand(global, rest)
	case "sync":
		return syncCommand(global, rest)
	case "migrate":
		return migrateCommand(global, rest)
	case "log":
		return logCommand(global, rest)
	case "job":
		return jobCommand(global, rest)
	}
	return fmt.Errorf("No help topic for '%s'", cmd)
}

// flagSet parses urfave/cli-style flags: --name=value, --name value, -name,
// values from an environment variable, and urfave's error wording.
type flagSet struct {
	command string
	usage   string
	values  map[string]*flagValue
	alias   map[string]string
}

type flagValue struct {
	isBool bool
	env    string
	def    string
	value  string
	set    bool
}

func newFlags(command, usage string) *flagSet {
	return &flagSet{command: command, usage: usage, values: map[string]*flagValue{}, alias: map[string]string{}}
}

func (f *flagSet) str(name, env, def string) {
	f.values[name] = &flagValue{env: env, def: def}
}

func (f *flagSet) bool(name string, aliases ...string) {
	f.values[name] = &flagValue{isBool: true}
	for _, a := range aliases {
		f.alias[a] = name
	}
}

// parse reads flags up to the first argument that is not one; stopAtArg keeps
// the rest (a sub-command and its flags) unparsed.
func (f *flagSet) parse(args []string, stopAtArg bool) ([]string, error) {
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			if stopAtArg {
				positional = append(positional, args[i:]...)
				break
			}
			positional = append(positional, arg)
			continue
		}
		name := strings.TrimLeft(arg, "-")
		value, hasValue := "", false
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, value, hasValue = name[:eq], name[eq+1:], true
		}
		if real, ok := f.alias[name]; ok {
			name = real
		}
		flag, ok := f.values[name]
		if !ok {
			return nil, f.usageError(fmt.Sprintf("flag provided but not defined: -%s", name))
		}
		if flag.isBool {
			flag.value, flag.set = "true", true
			if hasValue {
				flag.value = value
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, f.usageError(fmt.Sprintf("flag needs an argument: -%s", name))
			}
			i++
			value = args[i]
		}
		flag.value, flag.set = value, true
	}
	return positional, nil
}

// usageError prints urfave's "Incorrect Usage" block on stdout; main prints
// the error again, as Lily does.
func (f *flagSet) usageError(message string) error {
	fmt.Fprintf(os.Stdout, "Incorrect Usage: %s\n\n", message)
	fmt.Fprintf(os.Stdout, "NAME:\n   lily %s\n\nUSAGE:\n   lily %s [command options] %s\n", f.command, f.command, f.usage)
	return errors.New(message)
}

func (f *flagSet) get(name string) string {
	flag := f.values[name]
	if flag.set {
		return flag.value
	}
	if flag.env != "" {
		if v, ok := os.LookupEnv(flag.env); ok {
			return v
		}
	}
	return flag.def
}

func (f *flagSet) isSet(name string) bool {
	flag := f.values[name]
	if flag.set {
		return flag.value != "false"
	}
	if flag.env != "" {
		_, ok := os.LookupEnv(flag.env)
		return ok
	}
	return false
}
