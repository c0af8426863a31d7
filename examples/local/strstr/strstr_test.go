package strstr

import (
	"fmt"
	"strings"
	"testing"
)

func TestImplementationsAgree(t *testing.T) {
	cases := []struct{ haystack, needle string }{
		{"", ""}, {"abc", ""}, {"", "a"}, {"abc", "c"}, {"aaaaab", "aab"}, {"abcabcabd", "abcabd"},
		{"hello world", "world"}, {"hello world", "word"}, {"ababababca", "abababca"},
	}
	for name, impl := range Implementations {
		for _, c := range cases {
			if got, want := impl(c.haystack, c.needle), strings.Index(c.haystack, c.needle); got != want {
				t.Errorf("%s(%q, %q) = %d, want %d", name, c.haystack, c.needle, got, want)
			}
		}
	}
}

// BenchmarkIndex searches a needle near the end of a repetitive text; the implementation comes from
// STRSTR_IMPL so that the benchmark names are the same for every implementation.
func BenchmarkIndex(b *testing.B) {
	name, impl, err := FromEnv()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("implementation %s", name)
	for _, size := range []int{1 << 10, 1 << 16} {
		haystack := strings.Repeat("abcabcabd", size/9) + "abcabcabe"
		needle := "abcabcabe"
		b.Run(fmt.Sprintf("text=%dk", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(haystack)))
			for i := 0; i < b.N; i++ {
				if impl(haystack, needle) < 0 {
					b.Fatal("needle not found")
				}
			}
		})
	}
}
