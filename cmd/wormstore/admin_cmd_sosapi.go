package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wormstore/wormstore/adminapi"
)

// adminSOSAPICmd is `wormstore admin sosapi`: Veeam Smart Object Storage
// API per bucket.
type adminSOSAPICmd struct {
	Enable  adminSOSAPIEnableCmd  `cmd:"" help:"Serve the Veeam SOSAPI files (system.xml, capacity.xml) in a bucket, so Veeam shows it as S3 Integrated with its capacity."`
	Disable adminSOSAPIDisableCmd `cmd:"" help:"Stop serving the Veeam SOSAPI files in a bucket."`
	Status  adminSOSAPIStatusCmd  `cmd:"" help:"Show whether a bucket serves the Veeam SOSAPI files."`
}

type adminSOSAPIEnableCmd struct {
	Bucket      string    `arg:"" help:"Bucket name."`
	Capacity    byteCount `help:"Capacity to report (a quota, e.g. 10TiB); Used is then the bucket's stored bytes. 0 = the data directory's filesystem." default:"0" placeholder:"SIZE"`
	KbBlockSize int       `name:"kb-block-size" help:"Block size in KiB to recommend to Veeam (256, 512, 1024, 4096 or 8192); 0 = no recommendation." default:"0"`
}

type adminSOSAPIDisableCmd struct {
	Bucket string `arg:"" help:"Bucket name."`
}

type adminSOSAPIStatusCmd struct {
	Bucket string `arg:"" help:"Bucket name."`
}

func sosapiPath(bucket string) string { return "buckets/" + url.PathEscape(bucket) + "/sosapi" }

func (cmd *adminSOSAPIEnableCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	if cmd.Capacity > 0 {
		q.Set("capacity", strconv.FormatInt(int64(cmd.Capacity), 10))
	}
	if cmd.KbBlockSize > 0 {
		q.Set("kb_block_size", strconv.Itoa(cmd.KbBlockSize))
	}
	var out adminapi.SOSAPI
	if err := c.callJSON(env.ctx, http.MethodPut, sosapiPath(cmd.Bucket), q, &out); err != nil {
		return err
	}
	return printSOSAPI(env, a, out)
}

func (cmd *adminSOSAPIDisableCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out adminapi.SOSAPI
	if err := c.callJSON(env.ctx, http.MethodDelete, sosapiPath(cmd.Bucket), nil, &out); err != nil {
		return err
	}
	return printSOSAPI(env, a, out)
}

func (cmd *adminSOSAPIStatusCmd) Run(env *runEnv, a *adminCmd) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var out adminapi.SOSAPI
	if err := c.callJSON(env.ctx, http.MethodGet, sosapiPath(cmd.Bucket), nil, &out); err != nil {
		return err
	}
	return printSOSAPI(env, a, out)
}

func printSOSAPI(env *runEnv, a *adminCmd, s adminapi.SOSAPI) error {
	if a.JSON {
		return adminPrintJSON(env.stdout, s)
	}
	if !s.Enabled {
		fmt.Fprintf(env.stdout, "SOSAPI is disabled on bucket %s.\n", s.Bucket)
		return nil
	}
	capacity := "the data directory's filesystem"
	if s.CapacityBytes > 0 {
		capacity = strconv.FormatInt(s.CapacityBytes, 10) + " bytes (Used = the bucket's stored bytes)"
	}
	fmt.Fprintf(env.stdout, "SOSAPI is enabled on bucket %s since %s: %s/system.xml and capacity.xml; capacity: %s.\n",
		s.Bucket, s.Since.UTC().Format(time.RFC3339), s.Folder, capacity)
	if s.KbBlockSize > 0 {
		fmt.Fprintf(env.stdout, "Recommended block size: %d KiB.\n", s.KbBlockSize)
	}
	return nil
}
