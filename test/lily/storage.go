package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/go-pg/pg/v10"
)

// config is the part of Lily's config.toml the fake reads.
type config struct {
	API struct {
		ListenAddress string
	}
	Storage struct {
		Postgresql map[string]postgresConfig
	}
}

type postgresConfig struct {
	URL             string
	URLEnv          string
	SchemaName      string
	ApplicationName string
	PoolSize        int
	AllowUpsert     bool
}

func readConfig(path string) (*config, error) {
	cfg := &config{}
	if path == "" {
		return cfg, nil
	}
	if _, err := toml.DecodeFile(path, cfg); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return cfg, nil
		}
		return nil, fmt.Errorf("loading config: %w", err)
	}
	return cfg, nil
}

// The schema the fake's models need: Lily's version tables and the one model
// table its tasks write (block_headers, as Lily's `blocks` task).
const (
	latestMajor = 1
	latestPatch = 46
)

var models = map[string][]string{
	"block_headers": {"height", "cid", "miner", "parent_weight", "parent_base_fee", "parent_state_root", "win_count", "timestamp", "fork_signaling"},
}

const schemaSQL = `
CREATE TABLE IF NOT EXISTS visor_version (major int NOT NULL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS gopg_migrations (id serial, version bigint, created_at timestamptz);
CREATE TABLE IF NOT EXISTS block_headers (
	height bigint NOT NULL,
	cid text NOT NULL,
	miner text,
	parent_weight text,
	parent_base_fee text,
	parent_state_root text,
	win_count bigint,
	timestamp bigint,
	fork_signaling bigint,
	PRIMARY KEY (height, cid)
);`

// database is one Postgres storage: go-pg's ParseURL and driver, as Lily's
// storage.NewDatabase.
type database struct {
	db     *pg.DB
	schema string
}

func openDatabase(url, schema, applicationName string) (*database, error) {
	opt, err := pg.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	if opt.ApplicationName == "" {
		opt.ApplicationName = applicationName
	}
	if len(opt.ApplicationName) > 64 {
		return nil, errors.New("name exceeds maximum length for postgres application names")
	}
	opt.PoolSize = 4
	opt.OnConnect = func(ctx context.Context, conn *pg.Conn) error {
		if _, err := conn.ExecContext(ctx, "set search_path=?", pg.Ident(schema)); err != nil {
			errorw("lily/storage", "storage/sql.go:146", "failed to set postgresql search_path: "+err.Error())
		}
		return nil
	}
	return &database{db: pg.Connect(opt), schema: schema}, nil
}

// connect pings the database with Lily's (>= v0.17.3) exponential back-off:
// 500 ms first, x1.5, at most 60 s apart, for LILY_FAKE_DB_RETRY_MAX (Lily:
// 15 min), silently, then fails with the last error.
func (d *database) connect(ctx context.Context) error {
	maxElapsed := envDuration("LILY_FAKE_DB_RETRY_MAX", 15*time.Minute)
	start := time.Now()
	interval := 500 * time.Millisecond
	for {
		err := d.db.Ping(ctx)
		if err == nil {
			return nil
		}
		if time.Since(start)+interval > maxElapsed || ctx.Err() != nil {
			return fmt.Errorf("ping database retry attempt: ping database: %w", err)
		}
		select {
		case <-time.After(interval):
		case <-ctx.Done():
		}
		interval = min(time.Duration(float64(interval)*1.5), time.Minute)
	}
}

// schemaVersion reads major.patch; 0.0 when the schema is not installed.
func (d *database) schemaVersion(ctx context.Context) (int, int, error) {
	var exists bool
	if _, err := d.db.QueryOneContext(ctx, pg.Scan(&exists),
		`SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = 'visor_version')`, d.schema); err != nil {
		return 0, 0, err
	}
	if !exists {
		return 0, 0, nil
	}
	var major, patch int
	if _, err := d.db.QueryOneContext(ctx, pg.Scan(&major), `SELECT coalesce(max(major), 0) FROM ?.visor_version`, pg.Ident(d.schema)); err != nil {
		return 0, 0, err
	}
	if major == 0 {
		return 0, 0, errors.New("unsupported major version: 0")
	}
	if _, err := d.db.QueryOneContext(ctx, pg.Scan(&patch), `SELECT coalesce(max(version), 0) FROM ?.gopg_migrations`, pg.Ident(d.schema)); err != nil {
		return 0, 0, err
	}
	return major, patch, nil
}

// verify compares the models' tables and columns with information_schema.
func (d *database) verify(ctx context.Context) (bool, error) {
	ok := true
	for table, columns := range models {
		var have []string
		if _, err := d.db.QueryContext(ctx, pg.Scan(pg.Array(&have)),
			`SELECT array_agg(column_name::text) FROM information_schema.columns WHERE table_schema = ? AND table_name = ?`, d.schema, table); err != nil {
			return false, err
		}
		if len(have) == 0 {
			errorw("lily/storage", "storage/sql.go:225", fmt.Sprintf("verify schema: required table %q not found", table))
			ok = false
			continue
		}
		for _, col := range columns {
			if !contains(have, col) {
				errorw("lily/storage", "storage/sql.go:239", fmt.Sprintf("verify schema: required column %s.%s not found", table, col))
				ok = false
			}
		}
	}
	return ok, nil
}

func (d *database) migrateLatest(ctx context.Context) error {
	major, patch, err := d.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("get schema versions: %w", err)
	}
	infow("lily/storage", "storage/migrate.go:205", fmt.Sprintf("current database schema is version %d.%d", major, patch))
	if major == latestMajor && patch == latestPatch {
		return fmt.Errorf("database schema is already at version {%d %d}", major, patch)
	}
	if major == 0 {
		infow("lily/storage", "storage/migrate.go:226", "creating base schema for major version 1")
	}
	infow("lily/storage", "storage/migrate.go:250", fmt.Sprintf("running schema migration from version %d.%d to version %d.%d", major, patch, latestMajor, latestPatch))
	err = d.db.RunInTransaction(ctx, func(tx *pg.Tx) error {
		stmts := []string{"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(d.schema), "SET LOCAL search_path = " + quoteIdent(d.schema), schemaSQL,
			fmt.Sprintf("INSERT INTO visor_version (major) VALUES (%d) ON CONFLICT DO NOTHING", latestMajor),
			fmt.Sprintf("INSERT INTO gopg_migrations (version, created_at) VALUES (%d, now())", latestPatch)}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("run migration: %w", err)
	}
	infow("lily/storage", "storage/migrate.go:270", fmt.Sprintf("current database schema is now version %d.%d", latestMajor, latestPatch))
	return nil
}

// checkForJob is what the daemon checks before it accepts a job with this
// storage (synchronously, inside the RPC).
func (d *database) checkForJob(ctx context.Context) error {
	if err := d.connect(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	major, patch, err := d.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if major == 0 {
		return errors.New("schema not installed in database")
	}
	if patch < latestPatch {
		return fmt.Errorf("the latest schema version supported by lily (%d.%d) is newer than the schema version in use by the database (%d.%d) running lily this way will cause models data persistence failures: database schema is too old and requires migration", latestMajor, latestPatch, major, patch)
	}
	if patch > latestPatch {
		return fmt.Errorf("the latest schema version supported by lily (%d.%d) is older than the schema version in use by the database (%d.%d) running lily this way will cause undefined behaviour: database schema is too new for this version of lily", latestMajor, latestPatch, major, patch)
	}
	return nil
}

// As Lily's storage without AllowUpsert: a row already there is left as it is
// (a restarted daemon may index a tipset again).
func (d *database) persistBlockHeader(ctx context.Context, ts tipset) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO ?.block_headers (height, cid, miner, parent_weight, parent_base_fee, parent_state_root, win_count, timestamp, fork_signaling)
		VALUES (?, ?, ?, ?, '100', ?, 1, ?, 0) ON CONFLICT DO NOTHING`,
		pg.Ident(d.schema), ts.Height, ts.Cid, ts.Miner, strconv.FormatInt(ts.Height*1000, 10), ts.ParentStateRoot, ts.Timestamp)
	return err
}

func (d *database) close() { _ = d.db.Close() }

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}
