package dsl

import (
	"cmp"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestBodyContentIsHCLs compares bodyContent with HCL's Content for every body of the
// shipped rules, the examples and the golden cases, under every schema the loader decodes
// with: the content (attributes, blocks, missing-item range) and the diagnostics must be
// the same, whether the body fits the schema or HCL reports on it. It compares
// contentBySchema with HCL's Content too, and onlyAttr under the schemas of one attribute.
func TestBodyContentIsHCLs(t *testing.T) {
	schemas := []*hcl.BodySchema{templateSchema, settingsSchema, ruleSchema, resolveSchema,
		messageSchema, execSchema, waitSchema, maintenanceSchema, serverSchema,
		{Attributes: []hcl.AttributeSchema{{Name: "when"}, {Name: "message", Required: true}}}, // a required attribute
		{Blocks: []hcl.BlockHeaderSchema{{Type: "notify", LabelNames: []string{"a", "b"}}}},    // too few labels
		{Blocks: []hcl.BlockHeaderSchema{{Type: "notify"}}},                                    // too many
	}
	var files []string
	for _, glob := range []string{"../rules.d/*.hcl", "../examples/*.hcl", "../examples/*/*.hcl", "testdata/bad/*/*.hcl", "testdata/warn/*/*.hcl"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var bodies []*hclsyntax.Body
	var walk func(b *hclsyntax.Body)
	walk = func(b *hclsyntax.Body) {
		bodies = append(bodies, b)
		for _, blk := range b.Blocks {
			walk(blk.Body)
		}
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		walk(f.Body.(*hclsyntax.Body))
	}
	fitted, reported, alones := 0, 0, 0
	for _, b := range bodies {
		for _, s := range schemas {
			want, wantDiags := b.Content(s)
			got, gotDiags := bodyContent(b, s)
			// HCL reports unsupported arguments in map order: compare the diagnostics sorted.
			bySubject := func(a, b *hcl.Diagnostic) int { return cmp.Compare(a.Subject.Start.Byte, b.Subject.Start.Byte) }
			slices.SortStableFunc(wantDiags, bySubject)
			slices.SortStableFunc(gotDiags, bySubject)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotDiags, wantDiags) {
				t.Fatalf("%s: bodyContent differs from HCL's Content:\n%#v %v\nvs\n%#v %v", b.SrcRange, got, gotDiags, want, wantDiags)
			}
			// contentBySchema is the same content, by the schema's order.
			bySchema, bySchemaDiags := contentBySchema(b, s)
			slices.SortStableFunc(bySchemaDiags, bySubject)
			if !reflect.DeepEqual(bySchema.Blocks, want.Blocks) || !reflect.DeepEqual(bySchemaDiags, wantDiags) {
				t.Fatalf("%s: contentBySchema's blocks differ from HCL's Content:\n%#v %v\nvs\n%#v %v", b.SrcRange, bySchema.Blocks, bySchemaDiags, want.Blocks, wantDiags)
			}
			for _, name := range append([]string{"no_such_attribute"}, slices.Collect(maps.Keys(b.Attributes))...) {
				a, ok := bySchema.attr(name)
				wa, wok := want.Attributes[name]
				if ok != wok || !reflect.DeepEqual(a, wa) {
					t.Fatalf("%s: contentBySchema's %s is %#v %v, HCL's %#v %v", b.SrcRange, name, a, ok, wa, wok)
				}
			}
			for _, as := range s.Attributes {
				a, ok := bySchema.attr(as.Name)
				wa, wok := want.Attributes[as.Name]
				if ok != wok || !reflect.DeepEqual(a, wa) {
					t.Fatalf("%s: contentBySchema's %s is %#v %v, HCL's %#v %v", b.SrcRange, as.Name, a, ok, wa, wok)
				}
			}
			// onlyAttr is the content of a schema of one attribute when the body has it alone.
			if len(s.Attributes) == 1 && len(s.Blocks) == 0 {
				a, ok := onlyAttr(b, s.Attributes[0].Name)
				alone := len(wantDiags) == 0 && len(want.Attributes) == 1 && len(want.Blocks) == 0
				if ok != alone || ok && !reflect.DeepEqual(a, want.Attributes[s.Attributes[0].Name]) {
					t.Fatalf("%s: onlyAttr(%q) gives %#v %v, HCL's Content %#v %v", b.SrcRange, s.Attributes[0].Name, a, ok, want, wantDiags)
				}
				if ok {
					alones++
				}
			}
			if fits(b, s) {
				fitted++
			} else {
				reported++
			}
		}
	}
	if fitted < 200 || reported < 200 || alones < 100 {
		t.Fatalf("only %d bodies fit a schema, %d did not, %d had a schema's one attribute alone: the comparison covers too little", fitted, reported, alones)
	}
}

// fits says whether body.Content(schema) would report nothing.
func fits(b *hclsyntax.Body, schema *hcl.BodySchema) bool {
	found := 0
	for _, a := range schema.Attributes {
		if _, ok := b.Attributes[a.Name]; ok {
			found++
		} else if a.Required {
			return false
		}
	}
	return found == len(b.Attributes) && blocksFit(b, schema)
}
