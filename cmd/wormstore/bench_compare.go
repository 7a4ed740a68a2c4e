package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/wormstore/wormstore/bench"
)

// runCompare is `wormstore bench compare`: the workloads against every
// target in one interleaved sitting (bench.Compare), then the table.
func (c *benchCmd) runCompare(env *runEnv, cfg bench.Config) error {
	if c.Embedded || c.Endpoint != "" || c.AccessKey != "" || c.SecretKey != "" {
		return fmt.Errorf("compare takes its servers from --target (e.g. --target wormstore --target versitygw), not --embedded, --endpoint or keys")
	}
	if len(c.Targets) == 0 {
		c.Targets = []string{"wormstore", "versitygw"}
	}
	var targets []bench.Target
	for _, spec := range c.Targets {
		t, err := c.parseTarget(spec)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}
	var workloads []bench.Workload
	for _, w := range c.CompareWorkloads {
		if w == "compare" || bench.WorkloadHelp(bench.Workload(w)) == "" {
			return fmt.Errorf("--workloads: unknown workload %q", w)
		}
		workloads = append(workloads, bench.Workload(w))
	}
	if c.Rounds < 1 {
		return fmt.Errorf("--rounds must be at least 1")
	}
	cfg.Status = nil
	fmt.Fprintf(env.stdout, "Comparing %s on %s, %d round(s) of %v each (+%v warm-up).\n",
		strings.Join(c.CompareWorkloads, ", "), strings.Join(c.Targets, ", "), c.Rounds, c.Duration, c.Warmup)
	rep, err := bench.Compare(env.ctx, bench.CompareConfig{
		Targets: targets, Workloads: workloads, Rounds: c.Rounds, Base: cfg,
		ProfileDir: c.ProfileDir, Progress: env.stdout,
	})
	if rep == nil {
		return err
	}
	fmt.Fprintln(env.stdout)
	werr := rep.WriteText(env.stdout)
	if c.JSON != "" {
		werr = errors.Join(werr, writeFile(c.JSON, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}))
	}
	return errors.Join(err, werr)
}

// parseTarget turns a --target into a bench.Target.
func (c *benchCmd) parseTarget(spec string) (bench.Target, error) {
	name, rest, named := strings.Cut(spec, "=")
	if !named {
		name, rest = spec, spec
	}
	kind, path, _ := strings.Cut(rest, ":")
	switch {
	case strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://"):
		if !named {
			return bench.Target{}, fmt.Errorf("--target %q: name a running server: NAME=http://ACCESS:SECRET@HOST:PORT", spec)
		}
		ep, err := bench.ParseEndpointURL(rest)
		if err != nil {
			return bench.Target{}, err
		}
		return bench.StaticTarget(name, ep), nil
	case kind == "wormstore":
		if path == "" {
			exe, err := os.Executable()
			if err != nil {
				return bench.Target{}, fmt.Errorf("--target %s: %w", spec, err)
			}
			path = exe
		}
		return bench.ProcessTarget(name, wormstoreSpec(path), c.ProfileDir != ""), nil
	case kind == "versitygw":
		if path == "" {
			p, err := findVersityGW()
			if err != nil {
				return bench.Target{}, fmt.Errorf("--target %s: %w", spec, err)
			}
			path = p
		}
		return bench.ProcessTarget(name, versityGWSpec(path, c.VersityKeepAlive), false), nil
	}
	return bench.Target{}, fmt.Errorf("--target %q: want wormstore[:PATH], versitygw[:PATH] or NAME=http(s)://ACCESS:SECRET@HOST:PORT, optionally prefixed NAME=", spec)
}

// wormstoreSpec runs `PATH server` on a fresh data directory, S3 only
// (no admin or console listener), hourly checkpoints as by default.
func wormstoreSpec(path string) bench.ProcessSpec {
	return bench.ProcessSpec{
		Path:  path,
		Pprof: true,
		Args: func(dir, addr, pprofAddr, ak, sk string) ([]string, error) {
			args := []string{"server", "--data", dir, "--address", addr, "--admin-address", "", "--console-address", "",
				"--root-user", ak, "--root-password", sk, "--log-level", "warn"}
			if pprofAddr != "" {
				args = append(args, "--pprof-address", pprofAddr)
			}
			return args, nil
		},
	}
}

// versityGWSpec runs versitygw's posix backend with versioning (needed
// for Object Lock) under a fresh directory.
func versityGWSpec(path string, keepAlive bool) bench.ProcessSpec {
	return bench.ProcessSpec{
		Path: path,
		Args: func(dir, addr, _, ak, sk string) ([]string, error) {
			for _, d := range []string{"iam", "versions", "root"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					return nil, err
				}
			}
			args := []string{"--port", addr, "--access", ak, "--secret", sk, "--iam-dir", filepath.Join(dir, "iam"), "--quiet"}
			if keepAlive {
				args = append(args, "--keep-alive")
			}
			return append(args, "posix", "--versioning-dir", filepath.Join(dir, "versions"), filepath.Join(dir, "root")), nil
		},
	}
}

// findVersityGW looks for versitygw on PATH, then in ~/go/bin.
func findVersityGW() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, "go", "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found on PATH or in ~/go/bin (go install github.com/versity/versitygw/cmd/versitygw@latest), or give versitygw:PATH")
}
