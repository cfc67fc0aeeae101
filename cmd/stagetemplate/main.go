// Command stagetemplate writes template.yaml as an upgrade stage: the
// table's newer global secondary indexes up to that stage and no later.
// CloudFormation creates one GSI per stack update, so a stack made before
// them is brought up to date by deploying the stages in turn (README,
// "Upgrading an existing stack"). The stage's template is written beside
// the template (its CodeUri paths are relative to it) as
// template.stage<N>.yaml, which git ignores.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("stage", 1, "the upgrade stage: how many of the newer indexes the template keeps")
	path := flag.String("template", "template.yaml", "the template to stage")
	flag.Parse()
	if err := run(*path, *n); err != nil {
		fmt.Fprintln(os.Stderr, "stagetemplate:", err)
		os.Exit(1)
	}
}

func run(path string, n int) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := stage(src, n)
	if err != nil {
		return err
	}
	dst := filepath.Join(filepath.Dir(path), fmt.Sprintf("template.stage%d.yaml", n))
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		return err
	}
	fmt.Println(dst)
	return nil
}
