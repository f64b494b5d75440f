package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// client talks to the daemon as Lily's CLI does: --api / LILY_API (a
// multiaddr), --api-token / LILY_API_TOKEN, never the repo's token file.
type client struct {
	addr  string
	token string
}

func newClient(global *flagSet) *client {
	c := &client{addr: apiHostPort(global.get("api")), token: global.get("api-token")}
	if c.token == "" {
		warnw("cliutil", "cli/util/apiinfo.go:94", "API Token not set and requested, capabilities might be limited.")
	}
	return c
}

// apiHostPort turns /ip4/127.0.0.1/tcp/1234 into 127.0.0.1:1234.
func apiHostPort(multiaddr string) string {
	parts := strings.Split(strings.Trim(multiaddr, "/"), "/")
	if len(parts) >= 4 {
		return net.JoinHostPort(parts[1], parts[3])
	}
	return multiaddr
}

// call returns go-jsonrpc's errors: the dial error with the ws:// address,
// application errors as their message, protocol errors as "RPC error".
func (c *client) call(ctx context.Context, method string, result any, params ...any) error {
	if params == nil {
		params = []any{}
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "Filecoin." + method, "params": params})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.addr+"/rpc/v0", bytes.NewReader(body))
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return fmt.Errorf("cannot dial address ws://%s/rpc/v0 for %w", c.addr, op)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("cannot dial address ws://%s/rpc/v0 for websocket: bad handshake (HTTP 401)", c.addr)
	}
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	if out.Error != nil {
		if out.Error.Code <= -32000 && out.Error.Code >= -32768 {
			return fmt.Errorf("RPC error (%d): %s", out.Error.Code, out.Error.Message)
		}
		return errors.New(out.Error.Message)
	}
	if result != nil {
		return json.Unmarshal(out.Result, result)
	}
	return nil
}

// waitAPICommand is `lily wait-api [--timeout=D]`: silent on success.
func waitAPICommand(global *flagSet, args []string) error {
	flags := newFlags("wait-api", "")
	flags.str("timeout", "", "30s")
	if _, err := flags.parse(args, false); err != nil {
		return err
	}
	timeout, err := time.ParseDuration(flags.get("timeout"))
	if err != nil {
		return flags.usageError(fmt.Sprintf("invalid value %q for flag -timeout: parse error", flags.get("timeout")))
	}
	ctx, stop := waitForSignal()
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c := newClient(global)
	for {
		var id string
		err := c.call(ctx, "ID", &id)
		if err == nil {
			return nil
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errors.New("timed out waiting for api to come online")
		}
		if ctx.Err() != nil {
			return nil
		}
		warnw("lily/commands", "commands/wait.go:51", fmt.Sprintf("API not online yet... (%s)", err))
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
}

var stageNames = []string{"idle", "header sync", "persisting headers", "message sync", "complete", "error", "fetching messages"}

// syncCommand is `lily sync wait`: progress blocks redrawn every 250 ms,
// then "Done!" once the head is less than 30 s old.
func syncCommand(global *flagSet, args []string) error {
	if len(args) == 0 || args[0] != "wait" {
		return errors.New("sync: only `sync wait` is faked")
	}
	flags := newFlags("sync wait", "")
	flags.bool("watch")
	if _, err := flags.parse(args[1:], false); err != nil {
		return err
	}
	ctx, stop := waitForSignal()
	defer stop()
	c := newClient(global)
	lastLines := 0
	for i := 0; ; i++ {
		var state struct {
			ActiveSyncs []struct {
				WorkerID int
				Base     struct{ Height int64 }
				Target   struct{ Height int64 }
				Stage    int
				Height   int64
			}
		}
		if err := c.call(ctx, "SyncState", &state); err != nil {
			if ctx.Err() != nil {
				fmt.Print("\nExit by user\n")
				return nil
			}
			return err
		}
		if len(state.ActiveSyncs) == 0 {
			time.Sleep(time.Second)
			continue
		}
		var head struct {
			Blocks []struct{ Timestamp int64 }
		}
		if err := c.call(ctx, "ChainHead", &head); err != nil {
			return err
		}
		w := state.ActiveSyncs[len(state.ActiveSyncs)-1]
		for _, s := range state.ActiveSyncs {
			if s.Stage != 4 && s.Stage != 0 {
				w = s
			}
		}
		fmt.Print(strings.Repeat("\r\x1b[2K\x1b[A", lastLines))
		stage := "unknown"
		if w.Stage >= 0 && w.Stage < len(stageNames) {
			stage = stageNames[w.Stage]
		}
		fmt.Printf("Worker: %d; Base: %d; Target: %d (diff: %d)\n", w.WorkerID, w.Base.Height, w.Target.Height, w.Target.Height-w.Base.Height)
		fmt.Printf("State: %s; Current Epoch: %d; Todo: %d\n", stage, w.Height, w.Target.Height-w.Height)
		lastLines = 2
		if i > 0 {
			fmt.Printf("Validated %d messages (%d per second)\n", 0, 0)
			lastLines = 3
		}
		minTimestamp := int64(0)
		if len(head.Blocks) > 0 {
			minTimestamp = head.Blocks[0].Timestamp
		}
		if time.Now().Unix()-minTimestamp < 30 && !flags.isSet("watch") {
			fmt.Println("\nDone!")
			return nil
		}
		select {
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
			fmt.Print("\nExit by user\n")
			return nil
		}
	}
}

// logCommand is `lily log set-level-regex <level> <regex>`.
func logCommand(global *flagSet, args []string) error {
	if len(args) == 0 || args[0] != "set-level-regex" {
		return errors.New("log: only `log set-level-regex` is faked")
	}
	flags := newFlags("log set-level-regex", "[level] [regex]")
	rest, err := flags.parse(args[1:], false)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0:
		return errors.New("level and regular expression are required")
	case len(rest) != 2:
		return errors.New("extactyl two arguments required [level] [regex]")
	case rest[0] == "":
		return errors.New("level is required")
	case rest[1] == "":
		return errors.New("regex is required")
	}
	if _, err := regexp.Compile(rest[1]); err != nil {
		return fmt.Errorf("regex does not complie: %w", err)
	}
	ctx, stop := waitForSignal()
	defer stop()
	if err := newClient(global).call(ctx, "LogSetLevelRegex", nil, rest[1], rest[0]); err != nil {
		return fmt.Errorf("setting log level via regex: %w", err)
	}
	return nil
}

// jobCommand is `lily job run …` and `lily job list`.
func jobCommand(global *flagSet, args []string) error {
	if len(args) == 0 {
		return errors.New("job: run or list")
	}
	ctx, stop := waitForSignal()
	defer stop()
	switch args[0] {
	case "list":
		var jobs []jobListResult
		if err := newClient(global).call(ctx, "LilyJobList", &jobs); err != nil {
			return err
		}
		out, _ := json.MarshalIndent(jobs, "", "\t")
		fmt.Println(string(out))
		return nil
	case "start", "stop":
		flags := newFlags("job "+args[0], "")
		flags.str("id", "", "")
		if _, err := flags.parse(args[1:], false); err != nil {
			return err
		}
		id, _ := strconv.Atoi(flags.get("id"))
		method := map[string]string{"start": "LilyJobStart", "stop": "LilyJobStop"}[args[0]]
		return newClient(global).call(ctx, method, nil, id)
	case "run":
		return jobRun(ctx, global, args[1:])
	}
	return fmt.Errorf("No help topic for '%s'", args[0])
}

func jobRun(ctx context.Context, global *flagSet, args []string) error {
	run := newFlags("job run", "<kind>")
	run.str("window", "", "0s")
	run.str("tasks", "", strings.Join(tableTasks, ","))
	run.str("storage", "", "")
	run.str("name", "", "")
	run.str("restart-delay", "", "0s")
	run.bool("restart-on-failure")
	run.bool("restart-on-completion")
	run.bool("stop-on-error")
	rest, err := run.parse(args, true)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return errors.New("job run: a job kind is required (watch, walk, fill, find, survey, tipset-worker)")
	}
	cfg := jobConfig{Storage: run.get("storage"), Name: run.get("name"),
		RestartOnFailure: run.isSet("restart-on-failure"), RestartOnCompletion: run.isSet("restart-on-completion")}
	cfg.Window, _ = time.ParseDuration(run.get("window"))
	cfg.RestartDelay, _ = time.ParseDuration(run.get("restart-delay"))
	for _, task := range strings.Split(run.get("tasks"), ",") {
		if !contains(tableTasks, task) {
			return fmt.Errorf("unknown task: %s", task)
		}
		cfg.Tasks = append(cfg.Tasks, task)
	}
	kind := rest[0]
	if cfg.Name == "" {
		cfg.Name = fmt.Sprintf("%s_%d", kind, time.Now().Unix())
	}
	kindFlags := newFlags("job run "+kind, "")
	method := ""
	switch kind {
	case "watch":
		kindFlags.str("confidence", "", "2")
		kindFlags.str("workers", "", "2")
		kindFlags.str("buffer-size", "", "5")
		kindFlags.str("interval", "", "120")
		method = "LilyWatch"
	case "walk", "fill", "find":
		kindFlags.str("from", "", "")
		kindFlags.str("to", "", "")
		method = "Lily" + strings.ToUpper(kind[:1]) + kind[1:]
	case "survey":
		kindFlags.str("interval", "", "10m")
		method = "LilySurvey"
	case "tipset-worker":
		kindFlags.str("queue", "", "")
		method = "LilyTipSetWorker"
	default:
		return fmt.Errorf("No help topic for '%s'", kind)
	}
	if _, err := kindFlags.parse(rest[1:], false); err != nil {
		return err
	}
	switch kind {
	case "watch":
		cfg.Confidence, _ = strconv.Atoi(kindFlags.get("confidence"))
		cfg.Workers, _ = strconv.Atoi(kindFlags.get("workers"))
		cfg.BufferSize, _ = strconv.Atoi(kindFlags.get("buffer-size"))
		cfg.Interval, _ = strconv.Atoi(kindFlags.get("interval"))
	case "walk", "fill", "find":
		for _, name := range []string{"from", "to"} {
			if kindFlags.get(name) == "" {
				return fmt.Errorf("Required flag %q not set", name)
			}
		}
		cfg.From, _ = strconv.ParseInt(kindFlags.get("from"), 10, 64)
		cfg.To, _ = strconv.ParseInt(kindFlags.get("to"), 10, 64)
		if cfg.To < cfg.From {
			return fmt.Errorf("value of --to (%d) should be >= --from (%d)", cfg.To, cfg.From)
		}
	case "tipset-worker":
		cfg.Queue = kindFlags.get("queue")
	}
	var res jobSubmitResult
	if err := newClient(global).call(ctx, method, &res, cfg); err != nil {
		return err
	}
	out, _ := json.MarshalIndent(res, "", "\t")
	fmt.Println(string(out))
	return nil
}

// migrateCommand is `lily migrate`: a check without --latest/--to (what
// the chart's init-database runs), a migration with --latest.
func migrateCommand(_ *flagSet, args []string) error {
	flags := newFlags("migrate", "")
	flags.str("db", "LILY_DB", "")
	flags.str("db-pool-size", "", "75")
	host, _ := os.Hostname()
	flags.str("name", "LILY_NAME", fmt.Sprintf("visor_%s_%s_%d", version, host, os.Getpid()))
	flags.str("schema", "LILY_SCHEMA", "public")
	flags.str("to", "", "")
	flags.bool("latest")
	if _, err := flags.parse(args, false); err != nil {
		return err
	}
	infow("lily/commands", "commands/migrate.go:85", "lily version:"+version)
	db, err := openDatabase(flags.get("db"), flags.get("schema"), flags.get("name"))
	if err != nil {
		return fmt.Errorf("connect database: %w", err)
	}
	defer db.close()
	ctx, stop := waitForSignal()
	defer stop()
	if err := db.connect(ctx); err != nil {
		return fmt.Errorf("get schema versions: connect: %w", err)
	}
	if flags.isSet("latest") {
		return db.migrateLatest(ctx)
	}
	major, patch, err := db.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("get schema versions: %w", err)
	}
	infow("lily/storage", "storage/migrate.go:175", fmt.Sprintf("current database schema is version %d.%d, latest is %d.%d", major, patch, latestMajor, latestPatch))
	if major == 0 {
		return errors.New("verify schema: schema not installed in database")
	}
	ok, err := db.verify(ctx)
	if err != nil {
		return fmt.Errorf("verify schema: %w", err)
	}
	if !ok {
		return errors.New("verify schema: database schema was not compatible with current models")
	}
	infow("lily/commands", "commands/migrate.go:121", "database schema is supported by this version of visor")
	return nil
}
