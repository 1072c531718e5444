; e.port_match.named.classes: under the facts of a packet pinned to the inventory, for every class i of destination pods, every pod of the class and every listed named PortMatch: dst.class == i => (Encoder::port_match <=> the evaluator resolves (proto, port) for that pod); and no address outside the inventory has a named port
; 32 instances, asserted as one negated conjunction: the answer must be unsat.
; e.port_match.named.classes
(set-info :status unsat)
(set-logic QF_BV)
(declare-fun src.ns () (_ BitVec 2))
(declare-fun src.ext () Bool)
(declare-fun src.host () Bool)
(declare-fun src.pod () Bool)
(declare-fun |src.label[app]=| () (_ BitVec 2))
(declare-fun |src.port[http].proto| () (_ BitVec 8))
(declare-fun |src.port[http]| () Bool)
(declare-fun dst.ns () (_ BitVec 2))
(declare-fun dst.ext () Bool)
(declare-fun dst.host () Bool)
(declare-fun dst.pod () Bool)
(declare-fun |dst.label[app]=| () (_ BitVec 2))
(declare-fun |dst.port[http].proto| () (_ BitVec 8))
(declare-fun |dst.port[http]| () Bool)
(declare-fun dst.addr () (_ BitVec 32))
(declare-fun src.addr () (_ BitVec 32))
(declare-fun port () (_ BitVec 16))
(declare-fun proto () (_ BitVec 8))
(declare-fun src.class () (_ BitVec 3))
(declare-fun |src.port[http].number| () (_ BitVec 16))
(declare-fun |src.label[app]| () Bool)
(declare-fun dst.class () (_ BitVec 3))
(declare-fun |dst.port[http].number| () (_ BitVec 16))
(declare-fun |dst.label[app]| () Bool)
(assert
 (bvule src.ns (_ bv2 2)))
(assert
 (let (($x15 (and (or (or src.pod src.host) src.ext) (not (and src.pod src.host)))))
 (and (and $x15 (not (and src.pod src.ext))) (not (and src.host src.ext)))))
(assert
 (bvule |src.label[app]=| (_ bv2 2)))
(assert
 (let (($x33 (or (or (= |src.port[http].proto| (_ bv6 8)) (= |src.port[http].proto| (_ bv17 8))) (= |src.port[http].proto| (_ bv132 8)))))
 (=> |src.port[http]| $x33)))
(assert
 (bvule dst.ns (_ bv2 2)))
(assert
 (let (($x44 (and (or (or dst.pod dst.host) dst.ext) (not (and dst.pod dst.host)))))
 (and (and $x44 (not (and dst.pod dst.ext))) (not (and dst.host dst.ext)))))
(assert
 (bvule |dst.label[app]=| (_ bv2 2)))
(assert
 (let (($x59 (or (or (= |dst.port[http].proto| (_ bv6 8)) (= |dst.port[http].proto| (_ bv17 8))) (= |dst.port[http].proto| (_ bv132 8)))))
 (=> |dst.port[http]| $x59)))
(assert
 (and (distinct src.addr dst.addr) true))
(assert
 (let (($x72 (or (or (or (= proto (_ bv6 8)) (= proto (_ bv17 8))) (= proto (_ bv132 8))) (= proto (_ bv1 8)))))
 (=> (not (or $x72 (= proto (_ bv58 8)))) (= port (_ bv0 16)))))
(assert
 (bvule src.class (_ bv7 3)))
(assert
 (let (($x91 (and (and src.ext (and (distinct src.addr (_ bv167772161 32)) true)) (and (distinct src.addr (_ bv167772162 32)) true))))
 (let (($x100 (and (and (and $x91 (and (distinct src.addr (_ bv167772163 32)) true)) (and (distinct src.addr (_ bv167772169 32)) true)) (and (distinct src.addr (_ bv167772170 32)) true))))
 (let (($x109 (and (and (and $x100 (and (distinct src.addr (_ bv167772171 32)) true)) (and (distinct src.addr (_ bv167772172 32)) true)) (and (distinct src.addr (_ bv167772417 32)) true))))
 (=> (= src.class (_ bv6 3)) $x109)))))
(assert
 (let (($x111 (= src.class (_ bv7 3))))
 (=> $x111 (and (and src.host) (= src.addr (_ bv167772417 32))))))
(assert
 (let (($x126 (= |src.port[http].number| (_ bv80 16))))
 (let (($x127 (and (and |src.port[http]| (= |src.port[http].proto| (_ bv6 8))) $x126)))
 (let (($x122 (= |src.label[app]=| (_ bv1 2))))
 (let (($x119 (= src.ns (_ bv0 2))))
 (let (($x128 (and src.pod $x119 |src.label[app]| $x122 $x127)))
 (let (($x117 (= src.class (_ bv0 3))))
 (=> $x117 (and $x128 (= src.addr (_ bv167772161 32)))))))))))
(assert
 (let (($x126 (= |src.port[http].number| (_ bv80 16))))
 (let (($x127 (and (and |src.port[http]| (= |src.port[http].proto| (_ bv6 8))) $x126)))
 (let (($x122 (= |src.label[app]=| (_ bv1 2))))
 (let (($x119 (= src.ns (_ bv0 2))))
 (let (($x128 (and src.pod $x119 |src.label[app]| $x122 $x127)))
 (let (($x133 (= src.class (_ bv1 3))))
 (=> $x133 (and $x128 (= src.addr (_ bv167772162 32)))))))))))
(assert
 (let (($x126 (= |src.port[http].number| (_ bv80 16))))
 (let (($x127 (and (and |src.port[http]| (= |src.port[http].proto| (_ bv6 8))) $x126)))
 (let (($x122 (= |src.label[app]=| (_ bv1 2))))
 (let (($x119 (= src.ns (_ bv0 2))))
 (let (($x128 (and src.pod $x119 |src.label[app]| $x122 $x127)))
 (let (($x138 (= src.class (_ bv2 3))))
 (=> $x138 (and $x128 (= src.addr (_ bv167772169 32)))))))))))
(assert
 (let (($x126 (= |src.port[http].number| (_ bv80 16))))
 (let (($x127 (and (and |src.port[http]| (= |src.port[http].proto| (_ bv6 8))) $x126)))
 (let (($x119 (= src.ns (_ bv0 2))))
 (let (($x147 (and (and src.pod $x119 |src.label[app]| (= |src.label[app]=| (_ bv0 2)) $x127) (= src.addr (_ bv167772170 32)))))
 (let (($x143 (= src.class (_ bv3 3))))
 (=> $x143 $x147)))))))
(assert
 (let (($x126 (= |src.port[http].number| (_ bv80 16))))
 (let (($x127 (and (and |src.port[http]| (= |src.port[http].proto| (_ bv6 8))) $x126)))
 (let (($x119 (= src.ns (_ bv0 2))))
 (let (($x154 (and (and src.pod $x119 (not |src.label[app]|) $x127) (= src.addr (_ bv167772171 32)))))
 (let (($x150 (= src.class (_ bv4 3))))
 (=> $x150 $x154)))))))
(assert
 (let (($x126 (= |src.port[http].number| (_ bv80 16))))
 (let (($x122 (= |src.label[app]=| (_ bv1 2))))
 (let (($x119 (= src.ns (_ bv0 2))))
 (let (($x160 (and src.pod $x119 |src.label[app]| $x122 (and (and |src.port[http]| (= |src.port[http].proto| (_ bv17 8))) $x126))))
 (let (($x157 (= src.class (_ bv5 3))))
 (=> $x157 (and $x160 (= src.addr (_ bv167772172 32))))))))))
(assert
 (bvule dst.class (_ bv7 3)))
(assert
 (let (($x170 (and (and dst.ext (and (distinct dst.addr (_ bv167772161 32)) true)) (and (distinct dst.addr (_ bv167772162 32)) true))))
 (let (($x176 (and (and (and $x170 (and (distinct dst.addr (_ bv167772163 32)) true)) (and (distinct dst.addr (_ bv167772169 32)) true)) (and (distinct dst.addr (_ bv167772170 32)) true))))
 (let (($x182 (and (and (and $x176 (and (distinct dst.addr (_ bv167772171 32)) true)) (and (distinct dst.addr (_ bv167772172 32)) true)) (and (distinct dst.addr (_ bv167772417 32)) true))))
 (let (($x166 (= dst.class (_ bv6 3))))
 (=> $x166 $x182))))))
(assert
 (let (($x184 (= dst.class (_ bv7 3))))
 (=> $x184 (and (and dst.host) (= dst.addr (_ bv167772417 32))))))
(assert
 (let (($x195 (= |dst.port[http].number| (_ bv80 16))))
 (let (($x196 (and (and |dst.port[http]| (= |dst.port[http].proto| (_ bv6 8))) $x195)))
 (let (($x192 (= |dst.label[app]=| (_ bv1 2))))
 (let (($x190 (= dst.ns (_ bv0 2))))
 (let (($x197 (and dst.pod $x190 |dst.label[app]| $x192 $x196)))
 (let (($x189 (= dst.class (_ bv0 3))))
 (=> $x189 (or (and $x197 (= dst.addr (_ bv167772161 32))) (and $x197 (= dst.addr (_ bv167772163 32))))))))))))
(assert
 (let (($x195 (= |dst.port[http].number| (_ bv80 16))))
 (let (($x196 (and (and |dst.port[http]| (= |dst.port[http].proto| (_ bv6 8))) $x195)))
 (let (($x192 (= |dst.label[app]=| (_ bv1 2))))
 (let (($x190 (= dst.ns (_ bv0 2))))
 (let (($x197 (and dst.pod $x190 |dst.label[app]| $x192 $x196)))
 (let (($x204 (= dst.class (_ bv1 3))))
 (=> $x204 (and $x197 (= dst.addr (_ bv167772162 32)))))))))))
(assert
 (let (($x195 (= |dst.port[http].number| (_ bv80 16))))
 (let (($x196 (and (and |dst.port[http]| (= |dst.port[http].proto| (_ bv6 8))) $x195)))
 (let (($x192 (= |dst.label[app]=| (_ bv1 2))))
 (let (($x190 (= dst.ns (_ bv0 2))))
 (let (($x197 (and dst.pod $x190 |dst.label[app]| $x192 $x196)))
 (let (($x208 (= dst.class (_ bv2 3))))
 (=> $x208 (and $x197 (= dst.addr (_ bv167772169 32)))))))))))
(assert
 (let (($x195 (= |dst.port[http].number| (_ bv80 16))))
 (let (($x196 (and (and |dst.port[http]| (= |dst.port[http].proto| (_ bv6 8))) $x195)))
 (let (($x190 (= dst.ns (_ bv0 2))))
 (let (($x216 (and (and dst.pod $x190 |dst.label[app]| (= |dst.label[app]=| (_ bv0 2)) $x196) (= dst.addr (_ bv167772170 32)))))
 (let (($x212 (= dst.class (_ bv3 3))))
 (=> $x212 $x216)))))))
(assert
 (let (($x195 (= |dst.port[http].number| (_ bv80 16))))
 (let (($x196 (and (and |dst.port[http]| (= |dst.port[http].proto| (_ bv6 8))) $x195)))
 (let (($x190 (= dst.ns (_ bv0 2))))
 (let (($x222 (and (and dst.pod $x190 (not |dst.label[app]|) $x196) (= dst.addr (_ bv167772171 32)))))
 (let (($x218 (= dst.class (_ bv4 3))))
 (=> $x218 $x222)))))))
(assert
 (let (($x195 (= |dst.port[http].number| (_ bv80 16))))
 (let (($x192 (= |dst.label[app]=| (_ bv1 2))))
 (let (($x190 (= dst.ns (_ bv0 2))))
 (let (($x227 (and dst.pod $x190 |dst.label[app]| $x192 (and (and |dst.port[http]| (= |dst.port[http].proto| (_ bv17 8))) $x195))))
 (let (($x224 (= dst.class (_ bv5 3))))
 (=> $x224 (and $x227 (= dst.addr (_ bv167772172 32))))))))))
(assert
 (not (and (= src.class (_ bv1 3)) (= dst.class (_ bv1 3)))))
(assert
 (not (and (= src.class (_ bv2 3)) (= dst.class (_ bv2 3)))))
(assert
 (not (and (= src.class (_ bv3 3)) (= dst.class (_ bv3 3)))))
(assert
 (not (and (= src.class (_ bv4 3)) (= dst.class (_ bv4 3)))))
(assert
 (not (and (= src.class (_ bv5 3)) (= dst.class (_ bv5 3)))))
(assert
 (not (and (= src.class (_ bv7 3)) (= dst.class (_ bv0 3)))))
(assert
 (not (and (= src.class (_ bv0 3)) (= dst.class (_ bv7 3)))))
(assert
 (not (and (= src.class (_ bv7 3)) (= dst.class (_ bv1 3)))))
(assert
 (not (and (= src.class (_ bv1 3)) (= dst.class (_ bv7 3)))))
(assert
 (not (and (= src.class (_ bv7 3)) (= dst.class (_ bv2 3)))))
(assert
 (not (and (= src.class (_ bv2 3)) (= dst.class (_ bv7 3)))))
(assert
 (not (and (= src.class (_ bv7 3)) (= dst.class (_ bv3 3)))))
(assert
 (not (and (= src.class (_ bv3 3)) (= dst.class (_ bv7 3)))))
(assert
 (not (and (= src.class (_ bv7 3)) (= dst.class (_ bv4 3)))))
(assert
 (not (and (= src.class (_ bv4 3)) (= dst.class (_ bv7 3)))))
(assert
 (not (and (= src.class (_ bv7 3)) (= dst.class (_ bv5 3)))))
(assert
 (not (and (= src.class (_ bv5 3)) (= dst.class (_ bv7 3)))))
(assert
 (let (($x275 (or (and (= proto (_ bv17 8)) (= port (_ bv80 16))))))
 (let (($x224 (= dst.class (_ bv5 3))))
 (let (($x268 (or (and (= proto (_ bv6 8)) (= port (_ bv80 16))))))
 (let (($x218 (= dst.class (_ bv4 3))))
 (let (($x277 (or (and (= dst.class (_ bv0 3)) $x268) (and (= dst.class (_ bv1 3)) $x268) (and (= dst.class (_ bv2 3)) $x268) (and (= dst.class (_ bv3 3)) $x268) (and $x218 $x268) (and $x224 $x275))))
 (let (($x291 (and (and (= proto (_ bv132 8)) dst.pod) $x277)))
 (let (($x166 (= dst.class (_ bv6 3))))
 (let (($x286 (and (and (= proto (_ bv17 8)) dst.pod) $x277)))
 (let (($x288 (= $x286 or)))
 (let (($x212 (= dst.class (_ bv3 3))))
 (let (($x282 (and (and (= proto (_ bv6 8)) dst.pod) $x277)))
 (let (($x283 (= $x282 $x268)))
 (let (($x208 (= dst.class (_ bv2 3))))
 (let (($x292 (= $x291 or)))
 (let (($x189 (= dst.class (_ bv0 3))))
 (let (($x293 (=> $x189 $x292)))
 (let (($x289 (=> $x189 $x288)))
 (let (($x284 (=> $x189 $x283)))
 (let (($x278 (and (and true dst.pod) $x277)))
 (let (($x279 (= $x278 $x268)))
 (let (($x280 (=> $x189 $x279)))
 (let (($x325 (and $x280 $x280 $x284 $x284 $x289 $x289 $x293 $x293 (=> (= dst.class (_ bv1 3)) $x279) (=> (= dst.class (_ bv1 3)) $x283) (=> (= dst.class (_ bv1 3)) $x288) (=> (= dst.class (_ bv1 3)) $x292) (=> $x208 $x279) (=> $x208 $x283) (=> $x208 $x288) (=> $x208 $x292) (=> $x212 $x279) (=> $x212 $x283) (=> $x212 $x288) (=> $x212 $x292) (=> $x218 $x279) (=> $x218 $x283) (=> $x218 $x288) (=> $x218 $x292) (=> $x224 (= $x278 $x275)) (=> $x224 (= $x282 or)) (=> $x224 (= $x286 $x275)) (=> $x224 $x292) (=> $x166 (not $x278)) (=> $x166 (not $x282)) (=> $x166 (not $x286)) (=> $x166 (not $x291)))))
 (not $x325))))))))))))))))))))))))
(check-sat)
