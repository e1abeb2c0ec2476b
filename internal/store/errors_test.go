package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/store"
)

// TestTranslate: real PostgreSQL errors get their kinds, and their text
// never becomes the public message.
func TestTranslate(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, dbtest.NewURL(t), store.Options{QueryTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Pool.Exec(ctx, `CREATE TABLE u (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		run  func() error
		kind errs.Kind
	}{
		{"statement timeout 57014", func() error { _, err := st.Pool.Exec(ctx, `SELECT pg_sleep(2)`); return err }, errs.Timeout},
		{"unique violation 23505", func() error {
			_, err := st.Pool.Exec(ctx, `INSERT INTO u VALUES (1), (1)`)
			return err
		}, errs.Conflict},
		{"data exception 22012", func() error { _, err := st.Pool.Exec(ctx, `SELECT 1/0`); return err }, errs.Invalid},
		{"data exception 22P02", func() error { _, err := st.Pool.Exec(ctx, `SELECT 'x'::int`); return err }, errs.Invalid},
		{"serialization 40001", func() error {
			_, err := st.Pool.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`)
			return err
		}, errs.Unavailable},
		{"deadlock 40P01", func() error {
			_, err := st.Pool.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$`)
			return err
		}, errs.Unavailable},
		{"canceled", func() error { _, err := st.Pool.Exec(canceled, `SELECT 1`); return err }, errs.Canceled},
		{"syntax error stays internal", func() error { _, err := st.Pool.Exec(ctx, `SELEC 1`); return err }, errs.Internal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := c.run()
			if raw == nil {
				t.Fatal("no error")
			}
			err := store.Translate(raw)
			if k := errs.KindOf(err); k != c.kind {
				t.Errorf("kind of %v = %v, want %v", raw, k, c.kind)
			}
			if !errors.Is(err, raw) {
				t.Error("the cause is lost")
			}
			if msg := errs.Message(err); msg == raw.Error() || strings.Contains(msg, "SQLSTATE") {
				t.Errorf("public message %q shows the database text", msg)
			}
			if store.Translate(err) != err {
				t.Error("Translate is not idempotent")
			}
		})
	}
	deadline, cancel2 := context.WithTimeout(ctx, time.Millisecond)
	defer cancel2()
	<-deadline.Done()
	if _, err := st.Pool.Exec(deadline, `SELECT 1`); !errs.Is(errs.Timeout, store.Translate(err)) {
		t.Errorf("deadline: %v", err)
	}
	down, err := store.Open(ctx, "postgres://x@127.0.0.1:1/none?connect_timeout=1", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	if _, err := down.Pool.Exec(ctx, `SELECT 1`); !errs.Is(errs.Unavailable, store.Translate(err)) || !store.IsUnavailable(err) {
		t.Errorf("unreachable server: %v is %v", err, errs.KindOf(store.Translate(err)))
	}
	if !errs.Is(errs.NotFound, store.ErrNotFound) || !errs.Is(errs.Conflict, store.ErrNotProposed) || !errs.Is(errs.Conflict, store.ErrAlreadyImported) {
		t.Error("store sentinels lack their kinds")
	}
}
