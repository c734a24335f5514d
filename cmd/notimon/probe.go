package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/net"
)

func newProbeCmd() *cobra.Command {
	var asJSON, all bool
	var config string
	cmd := &cobra.Command{
		Use:   "probe [--json] [--all] [--config PATH] [NAME ...]",
		Short: "Sample the built-in probes now and print the values rules can use",
		Long: `probe samples the built-in probes (or only those named, e.g. 'notimon probe cpu mem')
and prints every field as rules and messages read it, e.g. cpu.avg3 or mem.real_pct.
cpu watches the counters for one second first, since it has no previous reading.

net.ports lists the ports something listens on and the ports the rules name (--config,
default ./rules.d when it exists); --all lists every local port, the ephemeral ports of
every outgoing connection included.

Exit status: 0 all sampled, 1 a probe failed (its error is printed), 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := probeRefs(args)
			if err != nil {
				return err
			}
			schema, _ := probes.NewSchema(nil)
			system := probes.NewSystem(probes.Options{})
			system.SetLogger(slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn})))
			if all {
				system.SetTCPNeed(net.All)
			} else {
				system.SetTCPNeed(probePorts(cmd, config))
			}
			snap := system.Sample(cmd.Context(), time.Now(), refs)
			out := cmd.OutOrStdout()
			if asJSON {
				writeProbesJSON(out, schema, snap, refs)
			} else {
				writeProbesText(out, schema, snap, refs)
			}
			failed := false
			for _, r := range refs {
				if err := snap.Err(r); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "notimon: probe %s: %v\n", r, err)
					failed = true
				}
			}
			if failed {
				return exitError{exitProblems}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object, by probe")
	cmd.Flags().BoolVar(&all, "all", false, "list every local port under net.ports, not only the listening ones and those the rules name")
	cmd.Flags().StringVar(&config, "config", "rules.d", "the rules whose named ports net.ports lists")
	return cmd
}

// probePorts is what probe counts of TCP sockets: every state, and by port the listening
// ports and the ports the rules in config name. A default config that does not exist names
// none; rules with errors are said to be ignored.
func probePorts(cmd *cobra.Command, config string) net.Need {
	need := net.Need{States: net.AllStates, Listening: true}
	if _, err := os.Stat(config); err != nil && !cmd.Flags().Changed("config") {
		return need
	}
	cfg, diags := dsl.Load([]string{config}, dsl.Options{})
	if diags.HasErrors() {
		fmt.Fprintf(cmd.ErrOrStderr(), "notimon: %s has errors, so net.ports leaves out the ports its rules name ('notimon validate %s' lists the errors)\n", config, config)
		return need
	}
	need.Ports = net.NeedOf(cfg.Fields).Ports
	return need
}

// probeRefs turns NAME arguments into built-in probe refs; none means every available one.
func probeRefs(args []string) ([]probes.Ref, error) {
	var refs []probes.Ref
	if len(args) == 0 {
		for _, k := range probes.Kinds {
			if !k.Named {
				refs = append(refs, probes.Ref{Kind: k.Name})
			}
		}
		return refs, nil
	}
	for _, a := range args {
		k, ok := probes.LookupKind(a)
		if !ok || k.Named {
			var names []string
			for _, k := range probes.Kinds {
				if !k.Named {
					names = append(names, k.Name)
				}
			}
			return nil, usageError{fmt.Errorf("%q is not a built-in probe; the built-in probes are: %s", a, strings.Join(names, ", "))}
		}
		refs = append(refs, probes.Ref{Kind: a})
	}
	return refs, nil
}

func writeProbesText(w io.Writer, schema *probes.Schema, snap *probes.Snapshot, refs []probes.Ref) {
	for _, r := range refs {
		if err := snap.Err(r); err != nil {
			fmt.Fprintf(w, "%-32s <failed: %v>\n", r.String(), err)
			continue
		}
		writeFields(w, r.String(), reflect.ValueOf(schema.Value(snap, r)))
		if r.Kind == "mem" {
			writeFreeView(w, snap.Mem)
		}
	}
}

// writeFreeView prints memory as `free -k` shows it, columns and all, so the numbers can be
// checked against the tool operators trust, and says where real_pct comes from. used is
// procps-ng's since 4.0.1: total − available.
func writeFreeView(w io.Writer, m mem.Values) {
	kib := func(b float64) string { return strconv.FormatFloat(math.Floor(b/1024), 'f', 0, 64) }
	fmt.Fprintf(w, "\nmem as `free -k` shows it (KiB; used = total - available, as procps-ng 4.0.1 and later compute it):\n")
	fmt.Fprintf(w, "%-8s%12s%12s%12s%12s%12s%12s\n", "", "total", "used", "free", "shared", "buff/cache", "available")
	fmt.Fprintf(w, "%-8s%12s%12s%12s%12s%12s%12s\n", "Mem:", kib(m.TotalBytes), kib(m.TotalBytes-m.AvailableBytes),
		kib(m.FreeBytes), kib(m.SharedBytes), kib(m.BuffCacheBytes), kib(m.AvailableBytes))
	fmt.Fprintf(w, "real_pct %s = 100 × used / total: memory in use, leaving out what the kernel can take back from caches.\n", dsl.FormatValue(m.RealPct))
	fmt.Fprintf(w, "top's \"used\" can look larger: top and free before procps 3.3.10 count page cache and buffers as used (total - free), and top's RES counts shared pages once per process.\n")
}

// writeFields prints v as the paths rules read: cpu.avg3, disk["/"].used_pct,
// net.interfaces["eth0"].rx_bytes_per_s. Map keys are printed in order.
func writeFields(w io.Writer, path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if name := v.Type().Field(i).Tag.Get("expr"); name != "" {
				writeFields(w, path+"."+name, v.Field(i))
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		if len(keys) == 0 {
			fmt.Fprintf(w, "%-32s (none)\n", path)
		}
		for _, k := range keys {
			writeFields(w, fmt.Sprintf("%s[%q]", path, k.String()), v.MapIndex(k))
		}
	case reflect.Invalid:
		fmt.Fprintf(w, "%-32s (none)\n", path)
	default:
		fmt.Fprintf(w, "%-32s %s\n", path, dsl.FormatValue(v.Interface()))
	}
}

func writeProbesJSON(w io.Writer, schema *probes.Schema, snap *probes.Snapshot, refs []probes.Ref) {
	out := map[string]any{}
	for _, r := range refs {
		if err := snap.Err(r); err != nil {
			out[r.String()] = map[string]string{"error": err.Error()}
			continue
		}
		out[r.String()] = schema.Value(snap, r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}
