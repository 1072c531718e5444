; e.port_match.named.empty: under the facts of a packet pinned to the inventory, for every class i of destination pods, every pod of the class and every listed named PortMatch: dst.class == i => (Encoder::port_match <=> the evaluator resolves (proto, port) for that pod); and no address outside the inventory has a named port
; 4 instances, asserted as one negated conjunction: the answer must be unsat.
; e.port_match.named.empty
(set-info :status unsat)
(set-logic QF_BV)
(declare-fun src.ns () (_ BitVec 2))
(declare-fun src.ext () Bool)
(declare-fun src.host () Bool)
(declare-fun src.pod () Bool)
(declare-fun |src.port[http].proto| () (_ BitVec 8))
(declare-fun |src.port[http]| () Bool)
(declare-fun dst.ns () (_ BitVec 2))
(declare-fun dst.ext () Bool)
(declare-fun dst.host () Bool)
(declare-fun dst.pod () Bool)
(declare-fun |dst.port[http].proto| () (_ BitVec 8))
(declare-fun |dst.port[http]| () Bool)
(declare-fun dst.addr () (_ BitVec 32))
(declare-fun src.addr () (_ BitVec 32))
(declare-fun port () (_ BitVec 16))
(declare-fun proto () (_ BitVec 8))
(declare-fun src.class () (_ BitVec 1))
(declare-fun dst.class () (_ BitVec 1))
(assert
 (bvule src.ns (_ bv2 2)))
(assert
 (let (($x15 (and (or (or src.pod src.host) src.ext) (not (and src.pod src.host)))))
 (and (and $x15 (not (and src.pod src.ext))) (not (and src.host src.ext)))))
(assert
 (let (($x31 (or (or (= |src.port[http].proto| (_ bv6 8)) (= |src.port[http].proto| (_ bv17 8))) (= |src.port[http].proto| (_ bv132 8)))))
 (=> |src.port[http]| $x31)))
(assert
 (bvule dst.ns (_ bv2 2)))
(assert
 (let (($x42 (and (or (or dst.pod dst.host) dst.ext) (not (and dst.pod dst.host)))))
 (and (and $x42 (not (and dst.pod dst.ext))) (not (and dst.host dst.ext)))))
(assert
 (let (($x55 (or (or (= |dst.port[http].proto| (_ bv6 8)) (= |dst.port[http].proto| (_ bv17 8))) (= |dst.port[http].proto| (_ bv132 8)))))
 (=> |dst.port[http]| $x55)))
(assert
 (and (distinct src.addr dst.addr) true))
(assert
 (let (($x68 (or (or (or (= proto (_ bv6 8)) (= proto (_ bv17 8))) (= proto (_ bv132 8))) (= proto (_ bv1 8)))))
 (=> (not (or $x68 (= proto (_ bv58 8)))) (= port (_ bv0 16)))))
(assert
 (bvule src.class (_ bv1 1)))
(assert
 (=> (= src.class (_ bv0 1)) (and src.ext (and (distinct src.addr (_ bv167772417 32)) true))))
(assert
 (=> (= src.class (_ bv1 1)) (and (and src.host) (= src.addr (_ bv167772417 32)))))
(assert
 (bvule dst.class (_ bv1 1)))
(assert
 (let (($x93 (= dst.class (_ bv0 1))))
 (=> $x93 (and dst.ext (and (distinct dst.addr (_ bv167772417 32)) true)))))
(assert
 (=> (= dst.class (_ bv1 1)) (and (and dst.host) (= dst.addr (_ bv167772417 32)))))
(assert
 (let (($x93 (= dst.class (_ bv0 1))))
 (let (($x119 (and (=> $x93 (not (and (and true dst.pod) or))) (=> $x93 (not (and (and (= proto (_ bv6 8)) dst.pod) or))) (=> $x93 (not (and (and (= proto (_ bv17 8)) dst.pod) or))) (=> $x93 (not (and (and (= proto (_ bv132 8)) dst.pod) or))))))
 (not $x119))))
(check-sat)
