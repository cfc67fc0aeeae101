package deploy

import (
	"fmt"
	"go/constant"
	"go/types"
	"path"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
	"golang.org/x/tools/go/types/typeutil"
)

// sdkServicePrefix is where the AWS SDK's service clients live; each
// operation's input is <prefix><service>.<Operation>Input.
const sdkServicePrefix = "github.com/aws/aws-sdk-go-v2/service/"

// Call is an AWS operation a function's code can make.
type Call struct {
	// Service is the SDK package: dynamodb, s3, kms, sqs, ses.
	Service string
	// Operation is the API operation (GetItem, SendMessageBatch), or for
	// an item of a DynamoDB transaction the item's own operation (PutItem,
	// UpdateItem, DeleteItem, ConditionCheckItem), which is what IAM
	// checks for TransactWriteItems.
	Operation string
	// Index is the secondary index a DynamoDB Query reads ("" for the
	// table itself); "?" when the code sets one the analysis cannot name.
	Index string
}

func (c Call) String() string {
	s := c.Service + ":" + c.Operation
	if c.Index != "" {
		s += "@" + c.Index
	}
	return s
}

// FunctionCalls finds, for each main package under functions/ of the
// module in dir, every AWS operation its code can reach, keyed by the
// package's folder name (api, worker, ...).
//
// It reads the code, not a run: the module's packages are loaded from
// source and turned into SSA, and rapid type analysis (RTA) walks what is
// reachable from each main. A call counts when it passes an SDK operation's
// input (*dynamodb.GetItemInput, ...), which catches calls through the
// adapters' narrow interfaces, the SDK clients, paginators and presigners
// alike. Handlers reach Lambda as interface values (lambda.Start(any)) and
// are then called by reflection, which RTA cannot see: every function value
// converted to an interface in reachable code is therefore a root too.
func FunctionCalls(dir string) (map[string][]Call, error) {
	cfg := &packages.Config{
		Dir:  dir,
		Mode: packages.LoadSyntax,
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		return nil, fmt.Errorf("load packages: %w", err)
	}
	// Only what the functions are built from must load cleanly: a broken
	// package elsewhere in the module (work in progress, a tool) is not
	// this analysis's concern.
	var mains []*packages.Package
	for _, p := range pkgs {
		if isFunctionMain(p) {
			mains = append(mains, p)
		}
	}
	if len(mains) == 0 {
		return nil, fmt.Errorf("no main package under functions/ in %s", dir)
	}
	var loadErrs []string
	packages.Visit(mains, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			loadErrs = append(loadErrs, e.Error())
		}
	})
	if len(loadErrs) > 0 {
		return nil, fmt.Errorf("load packages: %s", strings.Join(loadErrs, "; "))
	}
	prog, ssaPkgs := ssautil.Packages(pkgs, ssa.InstantiateGenerics)
	prog.Build()

	out := map[string][]Call{}
	for i, p := range pkgs {
		if !isFunctionMain(p) {
			continue
		}
		main := ssaPkgs[i].Func("main")
		if main == nil {
			return nil, fmt.Errorf("%s has no main function", p.PkgPath)
		}
		out[path.Base(p.PkgPath)] = reachableCalls(main)
	}
	return out, nil
}

// isFunctionMain reports whether p is a Lambda's main: functions/<name>.
func isFunctionMain(p *packages.Package) bool {
	return p.Name == "main" && path.Base(path.Dir(p.PkgPath)) == "functions"
}

// reachableCalls lists the AWS operations reachable from main.
func reachableCalls(main *ssa.Function) []Call {
	roots := []*ssa.Function{main}
	if init := main.Pkg.Func("init"); init != nil {
		roots = append(roots, init)
	}
	seen := map[Call]bool{}
	for fn := range reachable(main.Prog, roots) {
		for _, c := range callsIn(fn) {
			seen[c] = true
		}
	}
	calls := make([]Call, 0, len(seen))
	for c := range seen {
		calls = append(calls, c)
	}
	slices.SortFunc(calls, func(a, b Call) int { return strings.Compare(a.String(), b.String()) })
	return calls
}

// reachable is the set of functions the roots can call. Interface calls
// are resolved the way rapid type analysis does: a call of I.m reaches T.m
// for every type T converted to an interface in reachable code that
// implements I. Unlike x/tools' rta, exported methods are not assumed
// reachable through reflection (that would make every method of the store
// reachable from every function); instead every function whose value is
// taken in reachable code counts as called. That covers handlers given to
// lambda.Start as `any` (called by reflection), closures given to code
// without bodies here (errgroup.Go, http.ServeMux) and routes in tables,
// and errs only towards reaching more.
func reachable(prog *ssa.Program, roots []*ssa.Function) map[*ssa.Function]bool {
	type imethod struct {
		iface *types.Interface
		m     *types.Func
	}
	var (
		done     = map[*ssa.Function]bool{}
		queue    = slices.Clone(roots)
		runtime  []types.Type
		seenType typeutil.Map
		seenAddr = map[*ssa.Function]bool{}
		invokes  []imethod
		seenInv  = map[imethod]bool{}
		resolved = map[string]bool{} // runtime type x interface method already linked
	)
	add := func(f *ssa.Function) {
		if f != nil && !done[f] {
			queue = append(queue, f)
		}
	}
	takeAddr := func(f *ssa.Function) {
		if !seenAddr[f] {
			seenAddr[f] = true
			add(f)
		}
	}
	for {
		for len(queue) > 0 {
			fn := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if done[fn] {
				continue
			}
			done[fn] = true
			for _, b := range fn.Blocks {
				for _, instr := range b.Instrs {
					var rands []*ssa.Value
					switch in := instr.(type) {
					case ssa.CallInstruction:
						c := in.Common()
						switch {
						case c.IsInvoke():
							iface, _ := c.Value.Type().Underlying().(*types.Interface)
							k := imethod{iface, c.Method}
							if iface != nil && !seenInv[k] {
								seenInv[k] = true
								invokes = append(invokes, k)
							}
						case c.StaticCallee() != nil:
							add(c.StaticCallee())
						}
						rands = in.Operands(nil)
						if !c.IsInvoke() {
							rands = rands[1:] // the callee itself is not address-taken
						}
					case *ssa.MakeInterface:
						t := in.X.Type()
						if seenType.At(t) == nil {
							seenType.Set(t, true)
							runtime = append(runtime, t)
						}
						rands = in.Operands(nil)
					default:
						rands = instr.Operands(nil)
					}
					for _, op := range rands {
						if op == nil || *op == nil {
							continue
						}
						switch v := (*op).(type) {
						case *ssa.Function:
							takeAddr(v)
						case *ssa.MakeClosure:
							takeAddr(v.Fn.(*ssa.Function))
						}
					}
				}
			}
		}
		// Link interface calls to runtime types; new links mean another
		// round.
		for _, t := range runtime {
			for _, inv := range invokes {
				key := types.TypeString(t, nil) + "|" + inv.m.FullName() + "|" + types.TypeString(inv.iface, nil)
				if resolved[key] {
					continue
				}
				resolved[key] = true
				if !types.Implements(t, inv.iface) {
					continue
				}
				sel := prog.MethodSets.MethodSet(t).Lookup(inv.m.Pkg(), inv.m.Name())
				if sel != nil {
					add(prog.MethodValue(sel))
				}
			}
		}
		if len(queue) == 0 {
			return done
		}
	}
}

// transactionItemOps are the fields of a DynamoDB TransactWriteItem and the
// operation IAM checks for each.
var transactionItemOps = map[string]string{
	"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
}

// callsIn lists the AWS operations fn makes itself.
func callsIn(fn *ssa.Function) []Call {
	var calls []Call
	var indexes []string // the indexes fn's QueryInputs name, if any
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			fa, ok := instr.(*ssa.FieldAddr)
			if !ok {
				continue
			}
			st, name, ok := namedStruct(fa.X.Type())
			if !ok {
				continue
			}
			field := st.Struct.Field(fa.Field).Name()
			switch {
			case st.Pkg == sdkServicePrefix+"dynamodb" && name == "QueryInput" && field == "IndexName":
				indexes = append(indexes, indexName(fa))
			case st.Pkg == sdkServicePrefix+"dynamodb/types" && name == "TransactWriteItem":
				if op, ok := transactionItemOps[field]; ok {
					calls = append(calls, Call{Service: "dynamodb", Operation: op})
				}
			}
		}
	}
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			ci, ok := instr.(ssa.CallInstruction)
			if !ok {
				continue
			}
			params := ci.Common().Signature().Params()
			for i := range params.Len() {
				svc, op, ok := operationInput(params.At(i).Type())
				if !ok || svc == "dynamodb" && op == "TransactWriteItems" {
					// A transaction is authorised item by item (above).
					continue
				}
				c := Call{Service: svc, Operation: op}
				if svc != "dynamodb" || op != "Query" || len(indexes) == 0 {
					calls = append(calls, c)
					continue
				}
				// A function that names several indexes (one a branch)
				// may query each of them.
				for _, ix := range indexes {
					c.Index = ix
					calls = append(calls, c)
				}
			}
		}
	}
	return calls
}

type structInfo struct {
	Pkg    string
	Struct *types.Struct
}

// namedStruct unwraps *T for a named struct type T.
func namedStruct(t types.Type) (structInfo, string, bool) {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return structInfo{}, "", false
	}
	st, ok := n.Underlying().(*types.Struct)
	if !ok {
		return structInfo{}, "", false
	}
	return structInfo{Pkg: n.Obj().Pkg().Path(), Struct: st}, n.Obj().Name(), true
}

// operationInput recognises *<service>.<Operation>Input.
func operationInput(t types.Type) (service, op string, ok bool) {
	p, isPtr := t.(*types.Pointer)
	if !isPtr {
		return "", "", false
	}
	n, isNamed := types.Unalias(p.Elem()).(*types.Named)
	if !isNamed || n.Obj().Pkg() == nil {
		return "", "", false
	}
	pkg := n.Obj().Pkg().Path()
	svc, found := strings.CutPrefix(pkg, sdkServicePrefix)
	if !found || strings.Contains(svc, "/") {
		return "", "", false
	}
	op, found = strings.CutSuffix(n.Obj().Name(), "Input")
	if !found || op == "" {
		return "", "", false
	}
	return svc, op, true
}

// indexName is the constant stored through fa (QueryInput.IndexName),
// written as aws.String("GSI1") or &name; "?" when it is not a constant.
func indexName(fa *ssa.FieldAddr) string {
	refs := fa.Referrers()
	if refs == nil {
		return "?"
	}
	for _, r := range *refs {
		st, ok := r.(*ssa.Store)
		if !ok || st.Addr != fa {
			continue
		}
		if call, ok := st.Val.(*ssa.Call); ok && len(call.Call.Args) == 1 {
			if c, ok := call.Call.Args[0].(*ssa.Const); ok && c.Value != nil && c.Value.Kind() == constant.String {
				return constant.StringVal(c.Value)
			}
		}
	}
	return "?"
}
