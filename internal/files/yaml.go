package files

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// YAML bounds: far above any real compose project (hundreds of services,
// a few anchors), far below what costs time. yaml.v3 checks a mapping's
// keys for duplicates pairwise, so a mapping's size is bounded before that
// check runs; aliases are bounded by what they expand to, since a handful
// of nested aliases can name billions of nodes.
const (
	maxMappingKeys = 10000
	maxNodes       = 1000000
	// maxKeyPairs bounds the duplicate check over the whole document: the
	// sum over mappings of keys², so many large mappings cannot add up to
	// what one huge mapping is refused for.
	maxKeyPairs = 100_000_000
)

// ParseYAML parses b into a node tree without expanding aliases or checking
// duplicate keys (both linear), then refuses a document whose mappings or
// whose aliases, expanded, would make decoding it costly. Decode the
// returned node into the type wanted.
func ParseYAML(b []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	g := &guard{sizes: map[*yaml.Node]int{}}
	if _, err := g.size(&doc, 0); err != nil {
		return nil, err
	}
	return &doc, nil
}

type guard struct {
	sizes map[*yaml.Node]int // expanded size of each node, once known
	pairs int                // keys² summed over the mappings seen
}

var errTooDeep = errors.New("YAML nested more than 100 levels deep: refused")

// size is the number of nodes n stands for once its aliases are expanded,
// each node's size counted once.
func (g *guard) size(n *yaml.Node, depth int) (int, error) {
	if n == nil {
		return 0, nil
	}
	if s, ok := g.sizes[n]; ok {
		if s < 0 {
			return 0, errors.New("YAML alias refers to itself: refused")
		}
		return s, nil
	}
	if depth > 100 {
		return 0, errTooDeep
	}
	if keys := len(n.Content) / 2; n.Kind == yaml.MappingNode {
		if keys > maxMappingKeys {
			return 0, fmt.Errorf("YAML mapping at line %d has %d keys, over the %d tagguard reads: refused", n.Line, keys, maxMappingKeys)
		}
		if g.pairs += keys * keys; g.pairs > maxKeyPairs {
			return 0, fmt.Errorf("YAML mappings up to line %d hold too many keys between them (their duplicate check would cost over %d comparisons): refused", n.Line, maxKeyPairs)
		}
	}
	g.sizes[n] = -1 // in progress
	total := 1
	children := n.Content
	if n.Kind == yaml.AliasNode {
		children = []*yaml.Node{n.Alias}
	}
	for _, c := range children {
		s, err := g.size(c, depth+1)
		if err != nil {
			return 0, err
		}
		total += s
		if total > maxNodes {
			return 0, fmt.Errorf("YAML at line %d expands to over %d nodes (aliases of aliases): refused", n.Line, maxNodes)
		}
	}
	g.sizes[n] = total
	return total, nil
}
