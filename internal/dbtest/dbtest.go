// Package dbtest gives each test run its own fresh PostGIS database, created
// from the server that scripts/db.sh brought up and dropped afterwards, so
// tests never touch the database `make run` uses.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexcover/hexcover/internal/store"
)

// AdminURL is the server tests create their databases on:
// HEXCOVER_TEST_DATABASE_URL, else DATABASE_URL, else the local socket.
func AdminURL() string {
	for _, k := range []string{"HEXCOVER_TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "postgres:///postgres?host=/var/run/postgresql"
}

// withDB returns u with its database name replaced.
func withDB(u, db string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	p.Path = "/" + db
	return p.String(), nil
}

// NewURL creates an empty database with PostGIS and returns its URL; the
// database is dropped when the test ends. It fails the test (never skips)
// when no server is reachable: run `make test`, which brings one up.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := AdminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("dbtest: cannot reach PostgreSQL at %s (%v); run scripts/db.sh or `make test`", admin, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "hexcover_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	u, err := withDB(admin, name)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	c2, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("dbtest: connect %s: %v", name, err)
	}
	defer c2.Close(ctx)
	if _, err := c2.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		t.Fatalf("dbtest: PostGIS is not installed on the test server (%v); run scripts/db.sh", err)
	}
	return u
}

// New returns a migrated store on a fresh database.
func New(t testing.TB) *store.Store {
	t.Helper()
	u := NewURL(t)
	ctx := context.Background()
	s, err := store.Open(ctx, u, store.Options{QueryTimeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// Name returns the database name of a URL, for messages.
func Name(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Sprint(u)
	}
	return p.Path
}
