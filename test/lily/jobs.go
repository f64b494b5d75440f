package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// jobConfig is what `lily job run` sends to the daemon.
type jobConfig struct {
	Kind                string
	Name                string
	Tasks               []string
	Window              time.Duration
	Storage             string
	RestartOnFailure    bool
	RestartOnCompletion bool
	RestartDelay        time.Duration
	Confidence          int
	Workers             int
	BufferSize          int
	Interval            int
	From                int64
	To                  int64
	Queue               string
}

type jobSubmitResult struct {
	ID                  int
	Name                string
	Type                string
	Tasks               []string
	Params              map[string]string
	RestartOnFailure    bool
	RestartOnCompletion bool
	RestartDelay        time.Duration
}

type jobListResult struct {
	ID                  int
	Name                string
	Type                string
	Error               string
	Tasks               []string
	Running             bool
	RestartOnFailure    bool
	RestartOnCompletion bool
	RestartDelay        time.Duration
	Params              map[string]string
	StartedAt           time.Time
	EndedAt             time.Time
	Report              *struct{ CurrentHeight int64 }
}

type job struct {
	cfg    jobConfig
	info   jobListResult
	db     *database
	cancel context.CancelFunc
}

// Lily's table tasks; only blocks writes rows in the fake (block_headers).
var tableTasks = []string{"actor", "actor_state", "block_header", "block_parent", "chain_economics", "chain_consensus", "derived_gas_outputs", "drand_block_entrie", "id_address", "internal_messages", "internal_parsed_messages", "message", "message_gas_economy", "miner_info", "miner_sector_deal", "parsed_message", "receipt", "vm_messages"}

const reporterCaller = "schedule/scheduler.go:"

func (d *daemon) startJob(ctx context.Context, cfg jobConfig) (*jobSubmitResult, error) {
	var db *database
	if cfg.Storage != "" {
		var ok bool
		if db, ok = d.storages[cfg.Storage]; !ok {
			return nil, fmt.Errorf("unknown storage: %q", cfg.Storage)
		}
		// Lily connects and checks the schema inside the RPC, so a bad
		// database fails the submit (after the back-off).
		if err := db.checkForJob(ctx); err != nil {
			return nil, err
		}
	}
	params := map[string]string{"storage": cfg.Storage, "window": cfg.Window.String()}
	jobType := cfg.Kind
	switch cfg.Kind {
	case "watch":
		params["confidence"] = strconv.Itoa(cfg.Confidence)
		params["worker"] = strconv.Itoa(cfg.Workers)
		params["buffer"] = strconv.Itoa(cfg.BufferSize)
		params["interval"] = strconv.Itoa(cfg.Interval)
	case "walk", "fill", "find":
		params = map[string]string{"minHeight": strconv.FormatInt(cfg.From, 10), "maxHeight": strconv.FormatInt(cfg.To, 10), "storage": cfg.Storage}
		if cfg.Kind == "walk" {
			params["window"] = cfg.Window.String()
		}
	case "survey":
		jobType = ""
		params = map[string]string{"interval": strconv.Itoa(cfg.Interval)}
	case "tipsetworker":
		jobType = "tipset-worker"
		params = map[string]string{"queue": cfg.Queue, "storage": cfg.Storage}
		cfg.Tasks = nil
	}
	d.mu.Lock()
	d.nextID++
	j := &job{cfg: cfg, db: db}
	j.info = jobListResult{ID: d.nextID, Name: cfg.Name, Type: jobType, Tasks: cfg.Tasks, Params: params,
		RestartOnFailure: cfg.RestartOnFailure, RestartOnCompletion: cfg.RestartOnCompletion, RestartDelay: cfg.RestartDelay}
	d.jobs[j.info.ID] = j
	d.mu.Unlock()
	infow("lily/schedule", reporterCaller+"231", "new job received", f("id", j.info.ID), f("reporter", cfg.Name))
	d.run(j)
	return &jobSubmitResult{ID: j.info.ID, Name: cfg.Name, Type: jobType, Tasks: cfg.Tasks, Params: params,
		RestartOnFailure: cfg.RestartOnFailure, RestartOnCompletion: cfg.RestartOnCompletion, RestartDelay: cfg.RestartDelay}, nil
}

func (d *daemon) run(j *job) {
	ctx, cancel := context.WithCancel(context.Background())
	d.mu.Lock()
	j.cancel = cancel
	j.info.Running = true
	j.info.StartedAt = time.Now().UTC()
	j.info.EndedAt = time.Time{}
	d.mu.Unlock()
	go func() {
		infow("lily/schedule", reporterCaller+"405", "running job", f("id", j.info.ID), f("reporter", j.cfg.Name))
		err := d.index(ctx, j)
		d.mu.Lock()
		j.info.Running = false
		j.info.EndedAt = time.Now().UTC()
		if err != nil && ctx.Err() == nil {
			j.info.Error = err.Error()
		}
		d.mu.Unlock()
		switch {
		case ctx.Err() != nil:
		case err != nil:
			errorw("lily/schedule", reporterCaller+"470", "job exited with failure", f("id", j.info.ID), f("reporter", j.cfg.Name), f("error", err))
			if j.cfg.RestartOnFailure {
				infow("lily/schedule", reporterCaller+"478", "restarting job", f("id", j.info.ID), f("reporter", j.cfg.Name), f("delay", j.cfg.RestartDelay.String()))
				time.Sleep(j.cfg.RestartDelay)
				d.run(j)
				return
			}
		default:
			infow("lily/schedule", reporterCaller+"488", "job exited cleanly", f("id", j.info.ID), f("reporter", j.cfg.Name))
		}
		infow("lily/schedule", reporterCaller+"502", "job execution ended", f("id", j.info.ID), f("reporter", j.cfg.Name))
	}()
}

// index processes tipsets: new heads for watch (behind by confidence), a
// height range for walk/fill; other kinds only wait.
func (d *daemon) index(ctx context.Context, j *job) error {
	switch j.cfg.Kind {
	case "watch":
		for ts := range d.chain.follow(ctx) {
			// Confidence: a tipset is indexed once that many newer ones exist.
			at := d.chain.tipsetAt(ts.Height - int64(j.cfg.Confidence))
			if err := d.indexTipset(ctx, j, at); err != nil {
				warnw("lily/watch", "chain/watch/watcher.go:178", "watcher suffered fatal error", f("error", err), f("height", at.Height), f("reporter", j.cfg.Name))
				return fmt.Errorf("index: notify tipset: %w", err)
			}
		}
		return nil
	case "walk", "fill":
		for h := j.cfg.From; h <= j.cfg.To; h++ {
			if err := d.indexTipset(ctx, j, d.chain.tipsetAt(h)); err != nil {
				return err
			}
		}
		return nil
	}
	<-ctx.Done()
	return nil
}

func (d *daemon) indexTipset(ctx context.Context, j *job, ts tipset) error {
	infow("lily/index", "chain/indexer/integrated/manager.go:101", "index tipset", f("height", ts.Height), f("reporter", j.cfg.Name))
	for _, task := range j.cfg.Tasks {
		if task == "block_header" && j.db != nil {
			if err := j.db.persistBlockHeader(ctx, ts); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("persist result (%s.BlockHeader): persisting model: %w", task, err)
			}
			infow("lily/index", "chain/indexer/exporter.go:75", "model data persisted", f("height", ts.Height), f("reporter", j.cfg.Name), f("task", task))
		}
		infow("lily/index", "chain/indexer/integrated/manager.go:120", "task success", f("height", ts.Height), f("reporter", j.cfg.Name), f("task", task))
	}
	d.mu.Lock()
	j.info.Report = &struct{ CurrentHeight int64 }{ts.Height}
	d.mu.Unlock()
	return nil
}

func (d *daemon) jobList() []jobListResult {
	d.mu.Lock()
	defer d.mu.Unlock()
	var list []jobListResult
	for _, j := range d.jobs {
		list = append(list, j.info)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	return list
}

func (d *daemon) startStop(id int, start bool) error {
	d.mu.Lock()
	j, ok := d.jobs[id]
	running := ok && j.info.Running
	d.mu.Unlock()
	switch {
	case !ok:
		return fmt.Errorf("job id: %d not found", id)
	case start && running:
		return fmt.Errorf("starting worker ID: %d already running", id)
	case !start && !running:
		return fmt.Errorf("stopping job ID: %d already stopped", id)
	case start:
		d.mu.Lock()
		j.info.Error = ""
		d.mu.Unlock()
		d.run(j)
	default:
		j.cancel()
	}
	return nil
}

func (d *daemon) stopJobs() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, j := range d.jobs {
		if j.cancel != nil {
			j.cancel()
		}
	}
}
