package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeCert writes a self-signed certificate with the given serial.
func writeCert(t *testing.T, dir string, serial int64) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "wormstore-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

func servedSerial(t *testing.T, addr string) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestTLSAndSIGHUPReload(t *testing.T) {
	tmp := t.TempDir()
	certFile, keyFile := writeCert(t, tmp, 1)
	addr, out, _ := startServer(t, "--dev", "--data", filepath.Join(tmp, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	require.Contains(t, out.String(), "AWS_ENDPOINT_URL=https://")
	require.Equal(t, int64(1), servedSerial(t, addr))

	writeCert(t, tmp, 2)
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool { return servedSerial(t, addr) == 2 }, 10*time.Second, 20*time.Millisecond)

	// Bad files on reload keep the old certificate.
	require.NoError(t, os.WriteFile(certFile, []byte("garbage"), 0o600))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, int64(2), servedSerial(t, addr))
}

func TestBadTLSFilesStopTheStart(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	env := &runEnv{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard}
	bad := filepath.Join(tmp, "bad.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not a cert"), 0o600))
	t.Setenv("WORMSTORE_ROOT_USER", "root")
	t.Setenv("WORMSTORE_ROOT_PASSWORD", "correct-horse")
	err := runWith(env, []string{"server", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", "", "--tls-cert", bad, "--tls-key", bad})
	require.ErrorContains(t, err, "--tls-cert")
	err = runWith(env, []string{"server", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", "", "--tls-cert", bad})
	require.ErrorContains(t, err, "together")
	_, statErr := os.Stat(dir)
	require.True(t, os.IsNotExist(statErr), "bad TLS files touch nothing on disk")
}

func TestSDNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	require.NoError(t, err)
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	_, _, stop := startServer(t, "--dev", "--data", filepath.Join(t.TempDir(), "data"))
	buf := make([]byte, 64)
	require.NoError(t, ln.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := ln.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "READY=1", string(buf[:n]))
	require.NoError(t, stop())
	n, err = ln.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "STOPPING=1", string(buf[:n]))
}
