// The real node's port bridge: its own module, only golang.org/x/sys.
module lily-deploy/test/cluster/real-node/netns-bridge

go 1.26.0

require golang.org/x/sys v0.38.0
