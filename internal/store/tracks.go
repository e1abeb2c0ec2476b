package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Raw pings are stored as tracks (migrations/00002_ping_tracks.sql): one row
// per rider, UTC day, batch and segment, with the times as millisecond deltas
// and the positions as deltas of 1e-7 degrees in integer arrays, and the
// statuses run-length encoded. A ping costs about 12 bytes instead of ~120
// for a row of its own, and COPY writes one row per segment.
//
// Stored pings are exact to the millisecond and to 1e-7 degree (1 cm);
// Quantize rounds a ping the same way before it is aggregated, so a rebuild
// from the tracks reproduces the import.

// Quantize rounds a ping's time to the millisecond and its coordinates to
// 1e-7 degrees, as they are stored.
func Quantize(t time.Time, lat, lng float64) (time.Time, float64, float64) {
	return time.UnixMilli(t.UnixMilli()).UTC(), fromE7(int64(toE7(lat))), fromE7(int64(toE7(lng)))
}

func toE7(v float64) int32   { return int32(math.Round(v * 1e7)) }
func fromE7(v int64) float64 { return float64(v) / 1e7 }

// trackBudget bounds the pings an import holds before it writes them as
// segments (about 12 bytes each: ~25 MB, and the open arrays of every
// rider-day between flushes; while one budget's segments are being written,
// the next fills); trackSegmentMax bounds one segment.
var trackBudget = 2 << 20 // a variable for the tests

const trackSegmentMax = 8192

type trackKey struct {
	rider int64
	day   int32 // UTC days since 1970-01-01
}

// track is the open segment of one rider-day of an import.
type track struct {
	seq        int32 // of the open segment
	t0, prevT  int64 // unix ms
	tmin, tmax int64
	prevLat    int32
	prevLng    int32
	prevStatus string
	dt, la, ln []int32
	statusAt   []int32
	status     []string
}

// segment is a closed segment on its way to COPY; it owns its arrays.
type segment struct {
	key              trackKey
	seq              int32
	t0, tmin, tmax   int64
	dt, la, ln, stAt []int32
	status           []string
}

// Write adds pings to the import. They are buffered per rider and UTC day;
// when the buffer is full its segments are handed to the track writer
// (trackWriter: COPY on the import's connection, in the background) and
// the buffer fills anew; Commit writes the rest and waits. Their day
// partitions are created first.
func (l *PingLoad) Write(ctx context.Context, rows []PingRow) error {
	for i := range rows {
		r := &rows[i]
		ms := r.Time.UnixMilli()
		k := trackKey{r.Rider, int32(floorDivInt(ms, 86400000))}
		tr := l.tracks[k]
		if tr == nil {
			tr = &track{}
			l.tracks[k] = tr
		}
		la, ln := toE7(r.Lat), toE7(r.Lng)
		if len(tr.dt) == 0 {
			tr.t0, tr.tmin, tr.tmax = ms, ms, ms
			tr.dt = append(tr.dt, 0)
			tr.la = append(tr.la, la)
			tr.ln = append(tr.ln, ln)
			tr.prevStatus = ""
		} else {
			tr.dt = append(tr.dt, int32(ms-tr.prevT))
			tr.la = append(tr.la, la-tr.prevLat)
			tr.ln = append(tr.ln, ln-tr.prevLng)
			tr.tmin, tr.tmax = min(tr.tmin, ms), max(tr.tmax, ms)
		}
		if r.Status != tr.prevStatus {
			tr.statusAt = append(tr.statusAt, int32(len(tr.dt)))
			tr.status = append(tr.status, r.Status)
			tr.prevStatus = r.Status
		}
		tr.prevT, tr.prevLat, tr.prevLng = ms, la, ln
		l.buffered++
		if len(tr.dt) >= trackSegmentMax {
			// Closed now, written with the buffer.
			l.closed = append(l.closed, tr.close(k))
		}
		if t := r.Time; l.minTS.IsZero() || t.Before(l.minTS) {
			l.minTS = t
		}
		if r.Time.After(l.maxTS) {
			l.maxTS = r.Time
		}
	}
	if l.buffered >= trackBudget {
		return l.flushTracks(ctx)
	}
	return nil
}

// close closes the open segment of t (rider-day k) and opens the next.
func (t *track) close(k trackKey) segment {
	s := segment{key: k, seq: t.seq, t0: t.t0, tmin: t.tmin, tmax: t.tmax, dt: t.dt, la: t.la, ln: t.ln,
		stAt: t.statusAt, status: t.status}
	t.seq++
	// The arrays went with the segment; the next segment's start at the
	// size this one ended with, when it was small (the next is likely
	// alike).
	n := len(t.dt)
	t.dt, t.la, t.ln, t.statusAt, t.status = nil, nil, nil, nil, nil
	if n <= 1024 {
		t.dt, t.la, t.ln = make([]int32, 0, n), make([]int32, 0, n), make([]int32, 0, n)
	}
	return s
}

// flushTracks hands every buffered segment to the track writer, after
// creating the day partitions they need.
func (l *PingLoad) flushTracks(ctx context.Context) error {
	segs := l.closed
	l.closed = nil
	var days []time.Time
	seen := map[int32]bool{}
	for k, t := range l.tracks {
		if len(t.dt) == 0 {
			// A rider-day that had no pings since the last flush (a
			// rider whose shift ended, an earlier UTC day) lets go of its
			// arrays: kept, they were most of the buffer's slack.
			t.dt, t.la, t.ln, t.statusAt, t.status = nil, nil, nil, nil, nil
			continue
		}
		segs = append(segs, t.close(k))
	}
	for _, s := range segs {
		if d := s.key.day; !seen[d] && !l.parts[d] {
			seen[d] = true
			days = append(days, time.UnixMilli(int64(d)*86400000).UTC())
		}
	}
	if len(segs) == 0 {
		return nil
	}
	l.buffered = 0
	if len(days) > 0 {
		if err := l.s.EnsurePartitions(ctx, days); err != nil {
			return err
		}
		for d := range seen {
			l.parts[d] = true
		}
	}
	slices.SortFunc(segs, func(a, b segment) int {
		return cmp.Or(cmp.Compare(a.key.rider, b.key.rider), cmp.Compare(a.key.day, b.key.day), cmp.Compare(a.seq, b.seq))
	})
	if l.w == nil {
		l.w = startTrackWriter(ctx, l.tx, l.batch.ID)
	}
	return l.w.send(segs)
}

// waitTracks writes what is buffered and waits until every segment is
// written (or the first error).
func (l *PingLoad) waitTracks(ctx context.Context) error {
	err := l.flushTracks(ctx)
	if l.w != nil {
		if werr := l.w.wait(); err == nil {
			err = werr
		}
		l.w = nil
	}
	return err
}

// trackWriter writes batches of segments with COPY on the import's
// connection, one after the other, in its own goroutine: the import reads
// on while PostgreSQL stores the last batch (waiting for it had been a third
// of the district-day's read, docs/SCALING.md). At most one batch waits
// while one is written.
type trackWriter struct {
	ch   chan []segment
	done chan struct{}
	err  error // why it stopped early; read after done is closed
}

func startTrackWriter(ctx context.Context, tx pgx.Tx, batch int64) *trackWriter {
	w := &trackWriter{ch: make(chan []segment), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for segs := range w.ch {
			if w.err = copyTracks(ctx, tx, batch, segs); w.err != nil {
				return
			}
		}
	}()
	return w
}

// copyTracks COPYs segments of import batch.
func copyTracks(ctx context.Context, tx pgx.Tx, batch int64, segs []segment) error {
	i := 0
	_, err := copyBinary(ctx, tx, "ping_tracks", []string{"rider", "day", "batch_id", "seq", "n", "t0", "t_min", "t_max",
		"dt_ms", "dlat", "dlng", "status_at", "status"}, func(r *copyRow) bool {
		if i >= len(segs) {
			return false
		}
		t := &segs[i]
		i++
		r.Int8(t.key.rider)
		r.Date(t.key.day)
		r.Int8(batch)
		r.Int4(t.seq)
		r.Int4(int32(len(t.dt)))
		r.TimestampMs(t.t0)
		r.TimestampMs(t.tmin)
		r.TimestampMs(t.tmax)
		r.Int4Array(t.dt)
		r.Int4Array(t.la)
		r.Int4Array(t.ln)
		r.Int4Array(t.stAt)
		r.TextArray(t.status)
		return true
	})
	return err
}

// send hands over a batch, waiting while the previous one is written.
func (w *trackWriter) send(segs []segment) error {
	select {
	case w.ch <- segs:
		return nil
	case <-w.done:
		return w.err
	}
}

// wait waits until every batch sent is written.
func (w *trackWriter) wait() error {
	close(w.ch)
	<-w.done
	return w.err
}

func floorDivInt(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// scanPings calls fn with each ping of batch b, ordered by rider and time
// (pings of equal time in the order they were written).
func scanPings(ctx context.Context, tx pgx.Tx, b BatchSpan, fn func(*PingRow) error) error {
	// The batch's time range prunes the scan to its own day partitions.
	var from, to time.Time
	if !b.Min.IsZero() {
		from, to = b.Min.UTC().Truncate(24*time.Hour), b.Max.UTC().Truncate(24*time.Hour)
	}
	rows, err := tx.Query(ctx, `SELECT rider, t0, dt_ms, dlat, dlng, status_at, status FROM ping_tracks
		WHERE batch_id = $1 AND day BETWEEN $2::date AND $3::date ORDER BY rider, day, seq`, b.ID, dateArg(from, false), dateArg(to, true))
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		rider, cur int64 = 0, -1
		t0         time.Time
		dt, la, ln []int32
		statusAt   []int32
		status     []string
		buf        []PingRow
	)
	emit := func() error {
		// A rider's segments are in time order unless the file was not.
		byTime := func(a, b PingRow) int { return a.Time.Compare(b.Time) }
		if !slices.IsSortedFunc(buf, byTime) {
			slices.SortStableFunc(buf, byTime)
		}
		for i := range buf {
			if err := fn(&buf[i]); err != nil {
				return err
			}
		}
		buf = buf[:0]
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(&rider, &t0, &dt, &la, &ln, &statusAt, &status); err != nil {
			return err
		}
		if len(dt) != len(la) || len(dt) != len(ln) || len(statusAt) != len(status) {
			return fmt.Errorf("ping track of rider %d at %s is malformed", rider, t0)
		}
		if rider != cur && len(buf) > 0 {
			if err := emit(); err != nil {
				return err
			}
		}
		cur = rider
		ms, lat, lng := t0.UnixMilli(), int64(0), int64(0)
		st, j := "", 0
		for i := range dt {
			ms += int64(dt[i])
			lat += int64(la[i])
			lng += int64(ln[i])
			for j < len(statusAt) && int(statusAt[j]) <= i+1 {
				st = status[j]
				j++
			}
			buf = append(buf, PingRow{Rider: rider, Time: time.UnixMilli(ms).UTC(), Lat: fromE7(lat), Lng: fromE7(lng), Status: st})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(buf) > 0 {
		return emit()
	}
	return nil
}

// dateArg renders a bound of a date range, widened by a day.
func dateArg(t time.Time, upper bool) string {
	if t.IsZero() {
		if upper {
			return "infinity"
		}
		return "-infinity"
	}
	if upper {
		return t.Add(24 * time.Hour).Format("2006-01-02")
	}
	return t.Add(-24 * time.Hour).Format("2006-01-02")
}
