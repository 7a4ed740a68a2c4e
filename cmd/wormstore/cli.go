package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/alecthomas/kong"
)

// cli is the command line. Every flag has a WORMSTORE_* environment twin.
type cli struct {
	Server  serverCmd  `cmd:"" help:"Run the S3 server."`
	Admin   adminCmd   `cmd:"" help:"Administer a running server through its admin API (buckets, stats, segments, compact, verify)."`
	Version versionCmd `cmd:"" help:"Print the version."`
	Bench   benchCmd   `cmd:"" help:"Benchmark an S3 endpoint (or --embedded, an in-process server) with warp's workloads and vocabulary."`
	Recover recoverCmd `cmd:"" help:"Inspect a stopped server's data directory; with --truncate-corrupt-wal or --accept-index-ahead, repair what the server refuses to start on."`
}

// runEnv is what commands get from run.
type runEnv struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	// ready, if set, is called with the S3 listener address once the server
	// accepts requests (tests).
	ready func(addr string)
	// adminReady, if set, is called with the admin listener's address.
	adminReady func(addr string)
	// consoleReady, if set, is called with the console listener's address.
	consoleReady func(addr string)
	// clock, if set, is the engine's clock (tests advance it to judge
	// retention and lifecycle ages); nil = time.Now.
	clock func() time.Time
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(&runEnv{ctx: ctx, stdout: stdout, stderr: stderr}, args)
}

func runWith(env *runEnv, args []string) error {
	var c cli
	exitCode := -1
	parser, err := kong.New(&c,
		kong.Name("wormstore"),
		kong.Description("A Write-Once-Read-Many object store with an S3 API.\n\nQuick start:  wormstore server --dev --data ./data"),
		kong.UsageOnError(),
		kong.Writers(env.stdout, env.stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.DefaultEnvars("WORMSTORE"),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 {
		// --help and friends already printed what was asked.
		if exitCode == 0 {
			return nil
		}
		return fmt.Errorf("invalid command line")
	}
	if err != nil {
		return err
	}
	return kctx.Run(env)
}

type versionCmd struct{}

func (versionCmd) Run(env *runEnv) error {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	fmt.Fprintf(env.stdout, "wormstore %s\n", v)
	return nil
}
