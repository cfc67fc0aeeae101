package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
)

// A line of the template that belongs to an upgrade stage ends with the
// marker "# upgrade stage N": an attribute definition, alone, or the
// "- IndexName:" line of an index, with the lines indented under it.
var marker = regexp.MustCompile(`#\s*upgrade stage (\d+)\s*$`)

// stage is the template src with every part marked for a stage after n
// left out. A stage below 0 or past the last marked is refused, so a typo
// cannot deploy a table without its indexes.
func stage(src []byte, n int) ([]byte, error) {
	lines := bytes.SplitAfter(src, []byte("\n"))
	last := 0
	var out bytes.Buffer
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		m := marker.FindSubmatch(line)
		if m == nil {
			out.Write(line)
			continue
		}
		s, _ := strconv.Atoi(string(m[1]))
		last = max(last, s)
		if s <= n {
			out.Write(line)
			continue
		}
		// Leave out the marked line and, for a list item, what it holds:
		// the lines indented deeper than its "- ".
		dash := indent(line)
		for i+1 < len(lines) && len(bytes.TrimSpace(lines[i+1])) > 0 && indent(lines[i+1]) > dash {
			i++
		}
	}
	if n < 0 || n > last {
		return nil, fmt.Errorf("stage %d: the template has stages 0 to %d", n, last)
	}
	return out.Bytes(), nil
}

// indent is how many spaces start line.
func indent(line []byte) int {
	return len(line) - len(bytes.TrimLeft(line, " "))
}
