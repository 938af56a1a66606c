package configs

import (
	"bytes"
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestZZScratch(t *testing.T) {
	for _, s := range []string{
		"# c\n",
		"",
		"---\n",
		"a: 1\n---\nb: 2\n",
		"a: 1\n---\n",
		"a: 1\n...\n",
		"a: 1\n...\nfoo\n",
		"a: 1\n...\n# c\n",
		"---\n---\na: 1\n",
		"a: 1\n---\nb: [\n",
		"a: 1\nb: x\xff\n",
		"a: 1\n--- x\n",
	} {
		dec := yaml.NewDecoder(bytes.NewReader([]byte(s)))
		for i := 0; i < 3; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			fmt.Printf("%q[%d] -> kind %v line %d content %d err %v\n", s, i, n.Kind, n.Line, len(n.Content), err)
			if err != nil {
				break
			}
		}
	}
}
