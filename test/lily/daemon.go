package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Mainnet's genesis (schemas/v1/base.go height_to_unix).
const genesisUnix = 1598306400

type tipset struct {
	Height          int64
	Cid             string
	Miner           string
	ParentStateRoot string
	Timestamp       int64
}

// chain is the daemon's view of the network: it starts behind, syncs for
// LILY_FAKE_SYNC_TIME to a target LILY_FAKE_HEAD_LAG behind the network, then
// takes a new head every LILY_FAKE_BLOCK_TIME, never past the network's
// height (mainnet's: a block every 30 s since genesis), so a fast block time
// catches up and then follows the network. A head's timestamp is its
// height's slot, as on mainnet: the lag from the network is real time.
// With LILY_FAKE_SYNC_STALL_AFTER the sync stops advancing that long after
// the daemon started (no peer sends blocks) and never completes.
type chain struct {
	mu        sync.Mutex
	start     time.Time
	syncTime  time.Duration
	stallAt   time.Duration
	blockTime time.Duration
	base      int64
	target    int64
	listeners []chan tipset
}

// networkHeight is mainnet's height at t (schemas/v1/base.go height_to_unix).
func networkHeight(t time.Time) int64 {
	return (t.Unix() - genesisUnix) / 30
}

func newChain() *chain {
	now := time.Now()
	target := networkHeight(now.Add(-envDuration("LILY_FAKE_HEAD_LAG", 0)))
	return &chain{
		start:     now,
		syncTime:  envDuration("LILY_FAKE_SYNC_TIME", 3*time.Second),
		stallAt:   envDuration("LILY_FAKE_SYNC_STALL_AFTER", 0),
		blockTime: envDuration("LILY_FAKE_BLOCK_TIME", 30*time.Second),
		base:      target - 20,
		target:    target,
	}
}

func cidFor(kind string, height int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", kind, height)))
	return "bafy2bzace" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:50]
}

func (c *chain) tipsetAt(height int64, ts int64) tipset {
	return tipset{Height: height, Cid: cidFor("block", height), Miner: fmt.Sprintf("f0%d", 1000+height%97),
		ParentStateRoot: cidFor("state", height-1), Timestamp: ts}
}

// head is the current head; synced says the initial sync is over.
func (c *chain) head() (tipset, bool) {
	elapsed := time.Since(c.start)
	if c.stallAt > 0 && elapsed > c.stallAt && c.stallAt < c.syncTime {
		elapsed = c.stallAt
	}
	if elapsed < c.syncTime {
		// Still catching up: the head is behind and old.
		done := int64(float64(c.target-c.base) * float64(elapsed) / float64(c.syncTime))
		h := c.base + done
		return c.tipsetAt(h, genesisUnix+h*30), false
	}
	h := min(c.target+int64((elapsed-c.syncTime)/c.blockTime), max(c.target, networkHeight(time.Now())))
	return c.tipsetAt(h, genesisUnix+h*30), true
}

// follow sends every new head (after the sync) to ch until ctx ends.
func (c *chain) follow(ctx context.Context) <-chan tipset {
	ch := make(chan tipset, 16)
	go func() {
		defer close(ch)
		last := int64(-1)
		for {
			ts, synced := c.head()
			if synced && ts.Height != last {
				last = ts.Height
				select {
				case ch <- ts:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func (c *chain) syncState() map[string]any {
	ts, synced := c.head()
	stage, end := 3, "0001-01-01T00:00:00Z"
	if synced {
		stage, end = 4, c.start.Add(c.syncTime).UTC().Format(time.RFC3339Nano)
	}
	return map[string]any{
		"ActiveSyncs": []map[string]any{{
			"WorkerID": 1,
			"Base":     map[string]any{"Cids": []any{map[string]string{"/": cidFor("block", c.base)}}, "Height": c.base},
			"Target":   map[string]any{"Cids": []any{map[string]string{"/": cidFor("block", c.target)}}, "Height": c.target},
			"Stage":    stage, "Height": ts.Height,
			"Start": c.start.UTC().Format(time.RFC3339Nano), "End": end, "Message": "",
		}},
		"VMApplied": 0,
	}
}

func expTipSet(ts tipset) map[string]any {
	return map[string]any{
		"Cids": []any{map[string]string{"/": ts.Cid}},
		"Blocks": []any{map[string]any{
			"Miner": ts.Miner, "Height": ts.Height, "Timestamp": ts.Timestamp,
			"ParentStateRoot": map[string]string{"/": ts.ParentStateRoot},
			"ParentWeight":    strconv.FormatInt(ts.Height*1000, 10), "ParentBaseFee": "100",
		}},
		"Height": ts.Height,
	}
}

// daemonCommand is `lily daemon`: start-up logs, the API on 1234, metrics on
// 9991, the scheduler; on SIGTERM Lily's graceful shutdown, exit 0.
func daemonCommand(global *flagSet, args []string) error {
	flags := newFlags("daemon", "")
	flags.str("repo", "LILY_REPO", global.get("repo"))
	flags.str("config", "LILY_CONFIG", global.get("config"))
	flags.str("bootstrap", "LILY_BOOTSTRAP", "true")
	flags.str("genesis", "", "")
	flags.str("blockstore-cache-size", "", "")
	flags.str("statestore-cache-size", "", "")
	flags.str("api", "LILY_API", "")
	if _, err := flags.parse(args, false); err != nil {
		return err
	}
	if err := setNamedLevels(os.Getenv("LILY_LOG_LEVEL_NAMED")); err != nil {
		return err
	}
	infow("lily/commands", "commands/setup.go:77", "lily version:"+version)
	metricsAddr := global.get("prometheus-port")
	metrics, err := net.Listen("tcp", metricsAddr)
	if err != nil {
		fatalw("lily/commands", "commands/setup.go:93", "Failed to run Prometheus /metrics endpoint: "+err.Error())
	}
	infow("lily/commands", "commands/setup.go:90", "serving metrics on "+metricsAddr)
	repo := flags.get("repo")
	cfgPath := flags.get("config")
	infow("lily/commands", "commands/daemon.go:205", "lily repo: "+repo)
	infow("lily/commands", "commands/daemon.go:206", "lily config: "+cfgPath)
	unlock, err := openRepo(repo, "keystore")
	if err != nil {
		return err
	}
	defer unlock()
	infow("lily/config", "config/config.go:106", "reading config from "+cfgPath)
	cfg, err := readConfig(cfgPath)
	if err != nil {
		return fmt.Errorf("initializing node: %w", err)
	}
	d := &daemon{chain: newChain(), cfg: cfg, jobs: map[int]*job{}, storages: map[string]*database{}}
	// The storage catalog is built at start: a URL that does not parse stops
	// the daemon; connectivity is checked only when a job starts.
	for _, name := range sortedKeys(cfg.Storage.Postgresql) {
		sc := cfg.Storage.Postgresql[name]
		url := sc.URL
		if sc.URLEnv != "" {
			url = os.Getenv(sc.URLEnv)
		}
		db, err := openDatabase(url, sc.SchemaName, sc.ApplicationName)
		if err != nil {
			return fmt.Errorf("initializing node: could not build arguments for function \"github.com/filecoin-project/lily/lens/lily/modules\".NewStorageCatalog: failed to create postgresql storage %q: %w", name, err)
		}
		d.storages[name] = db
	}
	token := filepath.Join(repo, "token")
	if _, err := os.Stat(token); err != nil {
		infow("modules", "node/modules/core.go:125", "Generating new API secret")
		secret := make([]byte, 32)
		_, _ = rand.Read(secret)
		d.token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + hex.EncodeToString(secret)
		_ = os.WriteFile(token, []byte(d.token), 0o600)
	} else {
		b, _ := os.ReadFile(token)
		d.token = strings.TrimSpace(string(b))
	}
	// Lily opens its datastore and fetches proof parameters before its API
	// answers (LILY_FAKE_API_DELAY: how long that takes here).
	time.Sleep(envDuration("LILY_FAKE_API_DELAY", 0))
	apiAddr := listenAddress(cfg.API.ListenAddress)
	api, err := net.Listen("tcp", apiAddr)
	if err != nil {
		return fmt.Errorf("could not listen: %w", err)
	}
	infow("lily/schedule", "schedule/scheduler.go:145", "Starting Scheduler")

	mux := http.NewServeMux()
	mux.HandleFunc("/rpc/v0", d.serveRPC)
	server := &http.Server{Handler: mux}
	go func() { _ = server.Serve(api) }()
	metricsMux := http.NewServeMux()
	metricsMux.HandleFunc("/metrics", d.serveMetrics)
	go func() { _ = http.Serve(metrics, metricsMux) }()

	// A daemon that dies after a while (LILY_FAKE_FATAL, LILY_FAKE_FATAL_AFTER):
	// what a crash loop without probes looks like. With LILY_FAKE_FATAL_ON, only
	// once that file is in its repo, which it removes: a test creates it when it
	// wants a run to crash.
	if msg := os.Getenv("LILY_FAKE_FATAL"); msg != "" {
		after := envDuration("LILY_FAKE_FATAL_AFTER", 0)
		trigger := os.Getenv("LILY_FAKE_FATAL_ON")
		go func() {
			time.Sleep(after)
			for trigger != "" && os.Remove(filepath.Join(repo, trigger)) != nil {
				time.Sleep(100 * time.Millisecond)
			}
			fatalw("lily/commands", "commands/daemon.go:310", msg)
		}()
	}

	// A daemon whose memory grows (LILY_FAKE_MEMORY, LILY_FAKE_MEMORY_AFTER):
	// past its container's limit, the kernel kills it (OOMKilled).
	if size := envBytes("LILY_FAKE_MEMORY"); size > 0 {
		go holdMemory(size, envDuration("LILY_FAKE_MEMORY_AFTER", 0))
	}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	sig := <-signals
	warnw("rpc", "commands/util/rpc.go:117", "received shutdown", f("signal", sig.String()))
	warnw("rpc", "commands/util/rpc.go:119", "Shutting down...")
	d.stopJobs()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
	warnw("rpc", "commands/util/rpc.go:129", "Graceful shutdown successful")
	return nil
}

// listenAddress turns /ip4/0.0.0.0/tcp/1234/http into 0.0.0.0:1234.
func listenAddress(multiaddr string) string {
	parts := strings.Split(strings.Trim(multiaddr, "/"), "/")
	if len(parts) >= 4 && parts[2] == "tcp" {
		return net.JoinHostPort(parts[1], parts[3])
	}
	return "0.0.0.0:1234"
}

// openRepo makes the repo (and dir in it), holds it as Lily does (a second
// process on it is refused), and fetches the proof parameters: they are in
// the image, as in Lily's, so that is one log line.
func openRepo(repo, dir string) (func(), error) {
	if err := os.MkdirAll(filepath.Join(repo, dir), 0o700); err != nil {
		return nil, fmt.Errorf("repo init error: %w", err)
	}
	file, err := os.OpenFile(filepath.Join(repo, "repo.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("repo init error: %w", err)
	}
	if err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		file.Close()
		return nil, errors.New("repo is already locked (process is already running)")
	}
	infow("paramfetch", "go-paramfetch@v0.0.4/paramfetch.go:244", "parameter and key-fetching complete")
	return func() { file.Close() }, nil
}

type daemon struct {
	chain    *chain
	cfg      *config
	token    string
	storages map[string]*database

	mu     sync.Mutex
	nextID int
	jobs   map[int]*job
}

type rpcRequest struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// serveRPC is go-jsonrpc's HTTP POST transport with Lily's permissions: no
// token reads; a malformed one is 401.
func (d *daemon) serveRPC(w http.ResponseWriter, r *http.Request) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if !strings.HasPrefix(auth, "Bearer ") || strings.TrimPrefix(auth, "Bearer ") != d.token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	var req rpcRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeRPC(w, http.StatusInternalServerError, map[string]any{"jsonrpc": "2.0", "id": nil, "error": rpcError{-32700, "Parse error"}})
		return
	}
	result, err, found := d.call(r.Context(), req.Method, req.Params)
	switch {
	case !found:
		writeRPC(w, http.StatusInternalServerError, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": rpcError{-32601, fmt.Sprintf("method '%s' not found", req.Method)}})
	case err != nil:
		writeRPC(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": rpcError{1, err.Error()}})
	default:
		writeRPC(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": result})
	}
}

func writeRPC(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (d *daemon) call(ctx context.Context, method string, params []json.RawMessage) (any, error, bool) {
	param := func(i int, v any) error {
		if i >= len(params) {
			return fmt.Errorf("wrong param count (method '%s'): %d != %d", method, len(params), i+1)
		}
		return json.Unmarshal(params[i], v)
	}
	switch method {
	case "Filecoin.ID":
		return "12D3KooW" + strings.ToUpper(cidFor("peer", 0))[10:46], nil, true
	case "Filecoin.Version":
		return map[string]any{"Version": "1.34.3+mainnet+git.68dd25e7", "APIVersion": 131840, "BlockDelay": 30, "Agent": "lotus"}, nil, true
	case "Filecoin.ChainHead":
		ts, _ := d.chain.head()
		return expTipSet(ts), nil, true
	case "Filecoin.SyncState":
		return d.chain.syncState(), nil, true
	case "Filecoin.LogList":
		return loggers, nil, true
	case "Filecoin.LogSetLevelRegex":
		var regex, level string
		if err := param(0, &regex); err != nil {
			return nil, err, true
		}
		if err := param(1, &level); err != nil {
			return nil, err, true
		}
		if _, ok := logLevels[level]; !ok {
			return nil, fmt.Errorf("unrecognized level: %q", level), true
		}
		return nil, nil, true
	case "Filecoin.LilyJobList":
		return d.jobList(), nil, true
	case "Filecoin.LilyWatch", "Filecoin.LilyWalk", "Filecoin.LilyFill", "Filecoin.LilyFind", "Filecoin.LilySurvey", "Filecoin.LilyTipSetWorker":
		var cfg jobConfig
		if err := param(0, &cfg); err != nil {
			return nil, err, true
		}
		cfg.Kind = strings.ToLower(strings.TrimPrefix(method, "Filecoin.Lily"))
		res, err := d.startJob(ctx, cfg)
		return res, err, true
	case "Filecoin.LilyJobStart", "Filecoin.LilyJobStop":
		var id int
		if err := param(0, &id); err != nil {
			return nil, err, true
		}
		return nil, d.startStop(id, method == "Filecoin.LilyJobStart"), true
	case "Filecoin.Shutdown":
		go func() { time.Sleep(100 * time.Millisecond); _ = syscall.Kill(os.Getpid(), syscall.SIGTERM) }()
		return nil, nil, true
	}
	return nil, nil, false
}

func (d *daemon) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	ts, _ := d.chain.head()
	running := 0
	for _, j := range d.jobList() {
		if j.Running {
			running++
		}
	}
	fmt.Fprintf(w, "# TYPE visor_lily_info gauge\nvisor_lily_info{version=%q} 1\n", version)
	fmt.Fprintf(w, "# TYPE visor_chain_node_height gauge\nvisor_chain_node_height %d\n", ts.Height)
	fmt.Fprintf(w, "# TYPE visor_job_running gauge\nvisor_job_running %d\n", running)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// waitForSignal returns a context that ends on SIGINT, SIGTERM or SIGHUP, as
// lotus' ReqContext does for client commands.
func waitForSignal() (context.Context, func()) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	return ctx, cancel
}

// heldMemory keeps what holdMemory allocated reachable.
var heldMemory [][]byte

// holdMemory waits, then allocates size bytes in 4 MiB pieces, each written
// to (so the pages are really used), and keeps them.
func holdMemory(size int, after time.Duration) {
	time.Sleep(after)
	infow("lily/index", "index/manager.go:118", "loading the state tree into memory", f("bytes", size))
	const piece = 4 << 20
	for held := 0; held < size; held += piece {
		b := make([]byte, piece)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		heldMemory = append(heldMemory, b)
		time.Sleep(20 * time.Millisecond)
	}
}
