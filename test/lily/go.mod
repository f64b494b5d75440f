// A fake of the `lily` binary (Filecoin chain indexer) for the e2e tests on
// the real node: its own module so the Postgres driver stays out of the
// control-plane builds.
module lily-deploy/test/lily

go 1.26.0

require (
	github.com/BurntSushi/toml v1.4.0
	github.com/go-pg/pg/v10 v10.10.6
)

require (
	github.com/go-pg/zerochecker v0.2.0 // indirect
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/tmthrgd/go-hex v0.0.0-20190904060850-447a3041c3bc // indirect
	github.com/vmihailenco/bufpool v0.1.11 // indirect
	github.com/vmihailenco/msgpack/v5 v5.3.4 // indirect
	github.com/vmihailenco/tagparser v0.1.2 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	golang.org/x/crypto v0.0.0-20210921155107-089bfa567519 // indirect
	golang.org/x/sys v0.0.0-20210923061019-b8560ed6a9b7 // indirect
	mellium.im/sasl v0.2.1 // indirect
)
