package configs

import (
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestZZScratch(t *testing.T) {
	for _, s := range []string{
		"a: 1\nb: [1,\nc: 2\n",
		"a: 1\nb:\n  - x\n  y: 2\n",
		"a: 1\n  b: 2\n",
		"a:\n  b: 1\n c: 2\n",
		"- a\nb: 1\n",
		"a: 1\nb: 2\n- c\n",
		"a: {x: 1\nb: 2\n",
		"a: 1\nb: *nope\n",
		"a: 1\nb: \"x\x01\"\n",
		"a: 1\nb: x\xff\n",
		" \r0",
		"a: 1\n---\nb: 2\n",
		"a: 1\nb: !<x y\n",
		"a: 1\nb: 'abc\n",
		"a: 1\n\tb: 2\n",
		"key: [a, b\n",
		"%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
		"a: 1\nb: !x!y c\n",
		"a: 1\n...\nfoo\n",
		"a: 1\nb: c\n---\n- d\n",
		"a:\n  - b\n  c\n",
		"a: b\nc\nd: e\n",
		"x\ny: z\n",
		"a: 1\n? b\n",
		"a:\n- b\n-c: d\n  e\n",
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(s), &n)
		fmt.Printf("%q\n    -> %v\n", s, err)
	}
}
