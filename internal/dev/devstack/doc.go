// Package devstack runs the project's AWS dependencies on one machine: it
// starts moto (the AWS emulator installed by `make tools`) as a child process
// on a free 127.0.0.1 port, and creates in it the stack template.yaml
// declares, as AWS would: the SAM translator (aws-sam-translator, in
// .venv-sam, run by translate.py) turns the template into CloudFormation
// offline, and moto's CloudFormation creates the stack from it. The
// template stays the one source of truth: names, keys, indexes, redrive
// policies and the functions' environment variables all come from the
// stack, never repeated in Go. What devstack adds is the glue moto needs
// (forMoto says why for each) and what moto's CloudFormation skips that the
// local stack relies on: the table's TTL attribute.
//
// It serves two callers: integration tests, which start one emulator per
// test binary from TestMain and isolate tests with a name prefix, and
// cmd/local, which runs the whole service against it. It is development
// tooling only; the Lambda functions must not import it.
//
// A typical TestMain:
//
//	func TestMain(m *testing.M) {
//		ctx := context.Background()
//		moto, err := devstack.StartMoto(ctx)
//		if err != nil {
//			log.Fatal(err)
//		}
//		root, err := devstack.RepoRoot()
//		...
//		tpl, err := devstack.LoadTemplate(filepath.Join(root, "template.yaml"))
//		...
//		cfg := devstack.AWSConfig(moto.Endpoint())
//		res, err := devstack.Provision(ctx, cfg, tpl, "pkgtest-")
//		...
//		env, err := devstack.FunctionEnv(tpl, res, "WorkerFunction", nil)
//		...
//		code := m.Run()
//		moto.Stop()
//		os.Exit(code)
//	}
//
// What moto 5.2.5 does not do, so tests against it prove nothing about it:
// its CloudFormation skips the HTTP API, alarms, metric filters, the bucket
// policy and the bucket's lifecycle rules; it never expires items by TTL or
// objects by lifecycle rule, never throttles or returns UnprocessedItems,
// accepts a BatchWriteItem of more than 25 requests, serves a presigned URL
// whatever its signature or expiry, and ignores IAM and key policies. It
// does refuse a KMS Decrypt with the wrong encryption context, a
// TransactWriteItems of more than 100 items, and it reports per-item
// CancellationReasons.
package devstack
