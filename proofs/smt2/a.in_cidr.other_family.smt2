; a.in_cidr.other_family: a prefix of the other family matches no address, /0 included
; 6 instances, asserted as one negated conjunction: the answer must be unsat.
; a.in_cidr.other_family
(set-info :status unsat)
(set-logic QF_BV)
(assert
 (let (($x5 (not false)))
 (not (and $x5 $x5 $x5 $x5 $x5 $x5))))
(check-sat)
