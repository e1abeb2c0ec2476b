// Command hexcover is the one binary of the hexcover service: it parses
// flags, builds the dependencies and calls into internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hexcover/hexcover/internal/config"
)

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *env, args []string) error
}

// env is what every subcommand gets.
type env struct {
	cfg    config.Config
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "[--addr ADDR]", "run the HTTP server (map, tiles, API)", runServe},
		{"migrate", "", "apply database migrations (a no-op when up to date)", runMigrate},
		{"demo", "[--seed N] [--riders N] [--days N] [--start DATE] [--couriers-share F] [--ping-interval D] [--out DIR] [--if-empty]", "generate the synthetic demo city and load it (or write its files)", runDemo},
		{"ingest", "pings|grids|sites|areas FILE... [--crs wgs84|gcj02|bd09] [--format csv|ndjson|geojson] [--replace]", "import files", runIngest},
		{"rebuild", "", "recompute every activity aggregate from the stored pings", runRebuild},
		{"batches", "[--limit N]", "list imported files", runBatches},
		{"gaps", "[--json] [--hours H] [--metric rider_hours|riders] [--limit N] [--planned] [--admin]", "list coverage gap zones, largest first", runGaps},
		{"site", "--k N [--json] [--candidates kinds] [--add id,..] [--remove id,..] [--hours H] [--metric M] [--cell-centres] [--planned] [--admin]", "choose k new sites that cover the most uncovered demand", runSite},
		{"assign", "--grid CODE [--limit N] [--json] [--zh]", "rank couriers for a community grid (part-time grid members)", runAssign},
		{"retention", "[--days N]", "drop raw pings and every per-rider trace older than the retention period", runRetention},
		{"forget", "--platform P --id ID", "erase one rider everywhere (PIPL Art. 47) and re-release the days they were in", runForget},
		{"loadtest", "--token T [--url U] [--duration D] [--clients N] [--paths FILE]", "drive a running server with a bounded request mix and report latency per route", runLoadtest},
		{"token", "create|revoke|list [flags]", "manage API tokens and their roles", runToken},
	}
}

// usageError is a mistake on the command line: print it with usage, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "hexcover: invalid settings: %v\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 2
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	e := &env{cfg: cfg, log: log, stdout: stdout, stderr: stderr}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil {
			return 0
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "hexcover %s: %s\nusage: hexcover %s %s (see hexcover %s --help)\n", c.name, ue.msg, c.name, c.args, c.name)
			return 2
		}
		if errors.Is(err, context.Canceled) {
			msg := "interrupted"
			if strings.HasPrefix(err.Error(), "interrupted") { // says what was left how
				msg = oneLine(err)
			}
			fmt.Fprintf(stderr, "hexcover %s: %s\n", c.name, msg)
			return 130
		}
		fmt.Fprintf(stderr, "hexcover %s: %s\n", c.name, oneLine(err))
		return 1
	}
	fmt.Fprintf(stderr, "hexcover: unknown command %q; run hexcover --help for the list\n", args[0])
	return 2
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func usage(w io.Writer) {
	fmt.Fprintln(w, "hexcover — rider activity, station coverage gaps and siting on H3 hexagons, over PostGIS.")
	fmt.Fprintln(w, "\nUsage: hexcover COMMAND [flags]   (hexcover COMMAND --help for its flags)\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, config.Usage())
}

// newFlags makes a flag set that reports errors as usageError instead of
// exiting, and prints help on --help.
func newFlags(e *env, name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "hexcover %s %s\n  %s\n\nFlags:\n", name, args, summary)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags allowing them after positional arguments too
// (`ingest pings a.csv --crs gcj02`), and returns the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp // the flag set printed the usage
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
