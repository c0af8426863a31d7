// Package strstr holds substring search implementations to benchmark against each other.
package strstr

import (
	"fmt"
	"os"
	"strings"
)

// Index returns the index of the first instance of needle in haystack, or -1.
type Index func(haystack, needle string) int

// Implementations by name.
var Implementations = map[string]Index{
	"naive":    Naive,
	"kmp":      KMP,
	"horspool": Horspool,
	"stdlib":   strings.Index,
}

// FromEnv picks the implementation named by STRSTR_IMPL (default "stdlib").
func FromEnv() (string, Index, error) {
	name := os.Getenv("STRSTR_IMPL")
	if name == "" {
		name = "stdlib"
	}
	impl, ok := Implementations[name]
	if !ok {
		return name, nil, fmt.Errorf("unknown STRSTR_IMPL %q", name)
	}
	return name, impl, nil
}

// Naive compares the needle at every position.
func Naive(haystack, needle string) int {
	for i := 0; i+len(needle) <= len(haystack); i++ {
		if haystack[i:i+len(needle)] == needle {
			return i
		}
	}
	return -1
}

// KMP is Knuth-Morris-Pratt: it never moves backwards in the haystack.
func KMP(haystack, needle string) int {
	if needle == "" {
		return 0
	}
	fail := make([]int, len(needle))
	for i, k := 1, 0; i < len(needle); i++ {
		for k > 0 && needle[i] != needle[k] {
			k = fail[k-1]
		}
		if needle[i] == needle[k] {
			k++
		}
		fail[i] = k
	}
	for i, k := 0, 0; i < len(haystack); i++ {
		for k > 0 && haystack[i] != needle[k] {
			k = fail[k-1]
		}
		if haystack[i] == needle[k] {
			k++
		}
		if k == len(needle) {
			return i - k + 1
		}
	}
	return -1
}

// Horspool is Boyer-Moore-Horspool: it skips ahead by the last byte of the window.
func Horspool(haystack, needle string) int {
	n, m := len(haystack), len(needle)
	if m == 0 {
		return 0
	}
	var skip [256]int
	for i := range skip {
		skip[i] = m
	}
	for i := 0; i < m-1; i++ {
		skip[needle[i]] = m - 1 - i
	}
	for i := 0; i+m <= n; i += skip[haystack[i+m-1]] {
		if haystack[i:i+m] == needle {
			return i
		}
	}
	return -1
}
