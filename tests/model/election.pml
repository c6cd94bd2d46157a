/*
 * Pack election, lease and voter-set change (src/cluster/pack*.c), for SPIN.
 *
 * 3 nodes, terms up to MAXTERM, a global clock up to MAXT ticks, an
 * unordered lossy network of NETCAP slots (random receive "??" reorders;
 * any message may be dropped in flight, and a send to a full network is
 * lost), MAXCRASH crashes and restarts that keep only the saved state
 * (term, vote, voter set), MAXSTEP leader step-downs at any time
 * (over-approximates check-quorum) or graceful hand-overs (RELEASE); a
 * leader sends at most one heartbeat round per tick. Clock drift: a promise
 * lasts P or P-1 ticks from receipt, a lease L or L+1 ticks from the send
 * of the round a quorum acknowledged; the C code's bound
 * lease <= promise (1-r)/(1+r) becomes L + 1 <= P - 1 here.
 * One voter-set change: the first leader may remove node 2 (voters
 * {0,1,2} -> {0,1}), committed with majorities of the old and new sets.
 *
 * Abstracted: pre-vote and the ballot window only restrict when a
 * candidacy starts and which candidate a voter picks, so here any node may
 * start a candidacy at any time its promise allows, and a voter grants
 * whichever request it receives first in a term. Safety shown for this
 * over-approximation holds for the C code's choices.
 *
 * Checks (tests/model/election.sh):
 *   safety: assertions: at most one leader per term (become_leader), and
 *          never two nodes holding a lease at once (on_acks: the only
 *          place a lease starts; time and step-downs only end leases).
 *   live   (-DLIVE): node 2 is down, 0 and 1 connected, no loss, no
 *          crash, and a candidacy does not start while the other node's
 *          is running (what the ballot window gives in one round):
 *          ltl elected: eventually a leader (weak fairness). This is the
 *          weaker check: the simulator's healed-schedule check
 *          (tests/model/pack_sim.sh) covers liveness with loss and ties.
 */
#define N	3
#define NONE	255
#ifndef MAXTERM
#define MAXTERM	2
#endif
#ifndef MAXT
#define MAXT	6
#endif
#ifndef P
#define P	4
#endif
#ifndef L
#define L	2
#endif
/* Bounds that keep the search to minutes: crashes and step-downs in one
 * run, and messages in flight at once. */
#ifndef MAXCRASH
#define MAXCRASH	1
#endif
#ifndef MAXSTEP
#define MAXSTEP	1
#endif
#ifndef NETCAP
#define NETCAP	3
#endif

mtype = { VOTE, GRANT, DENY, HB, ACK, RELEASE };

/* type, from, to, term, aux (HB/ACK: round send time), cfg mask, cfg ver,
 * cfg term, committed */
chan net = [NETCAP] of { mtype, byte, byte, byte, byte, byte, byte, byte, bit };

byte now;
byte term[N], voted[N], role[N];	/* role: 0 follower 1 cand 2 leader */
bit up[N];
byte promise[N], promise_to[N];
byte lease[N];
byte votes[N], acks[N], cfgacks[N], round_sent[N];
/* voter set: mask of nodes, version, term, committed, previous mask */
byte cmask[N], cver[N], cterm[N], cprev[N];
bit ccom[N];
byte leader_of[MAXTERM + 1];
bit changed;			/* the one voter-set change was proposed */
byte crashes, stepdowns;

#define POP(x)	(((x) & 1) + (((x) >> 1) & 1) + (((x) >> 2) & 1))
#define MAJ(bits, mask)	(2 * POP((bits) & (mask)) > POP(mask))
#define QUORUM(i, bits)	(MAJ(bits, cmask[i]) && \
			 (ccom[i] || MAJ(bits, cprev[i])))
#define HOLDS(i)	(role[i] == 2 && now < lease[i])
#define NLEASE		(HOLDS(0) + HOLDS(1) + HOLDS(2))
#define HAS_LEADER	(role[0] == 2 || role[1] == 2 || role[2] == 2)
#define INCFG(i, j)	((cmask[i] | cprev[i]) & (1 << (j)))

#ifdef LIVE
ltl elected { <> HAS_LEADER }
/* What the ballot window gives: one candidacy at a time between 0 and 1. */
#define ONE_CANDIDACY(i)	((i) == 2 || role[1 - (i)] != 1)
#else
#define ONE_CANDIDACY(i)	true
#endif

#ifdef LIVE
/* Connected: nothing is lost (a full network makes the sender wait). */
inline send(styp, sfrom, sto, saux) {
	net ! styp, sfrom, sto, term[sfrom], saux,
	    cmask[sfrom], cver[sfrom], cterm[sfrom], ccom[sfrom]
}
#else
/* Loss is the in-flight drop below (sent, then never received); losing
 * at the send as well would only repeat those states. */
inline send(styp, sfrom, sto, saux) {
	if
	:: nfull(net) -> net ! styp, sfrom, sto, term[sfrom], saux,
	       cmask[sfrom], cver[sfrom], cterm[sfrom], ccom[sfrom]
	:: full(net)	/* lost: the network is full */
	fi
}
#endif

inline become_follower(i) {
	role[i] = 0; lease[i] = 0; votes[i] = 0; acks[i] = 0
}

inline send_round(i) {
	round_sent[i] = now;
	acks[i] = 1 << i;
	cfgacks[i] = 1 << i;
	promise[i] = now + P; promise_to[i] = i;
	j = 0;
	do
	:: j < N -> if :: j != i -> send(HB, i, j, now) :: else fi; j++
	:: else -> break
	od
}

inline become_leader(i) {
	assert(leader_of[term[i]] == NONE || leader_of[term[i]] == i);
	leader_of[term[i]] = i;
	role[i] = 2;
	cver[i]++; cterm[i] = term[i];	/* the no-op of this term */
	ccom[i] = 0;
	send_round(i)
}

/* Quorum of acks for the current round: the lease, and commits. */
inline on_acks(i) {
	if
	:: QUORUM(i, acks[i]) && lease[i] < round_sent[i] + L ->
		if
		:: lease[i] = round_sent[i] + L
		:: lease[i] = round_sent[i] + L + 1	/* a fast clock */
		fi;
		/* Leases only start here; time and step-downs end them. */
		assert(NLEASE <= 1)
	:: else
	fi;
	if
	:: !ccom[i] && QUORUM(i, cfgacks[i]) -> ccom[i] = 1;
		if :: !(cmask[i] & (1 << i)) -> become_follower(i)
		   :: else fi
	:: else
	fi
}

inline adopt(i, nt) {
	if
	:: nt > term[i] -> term[i] = nt; voted[i] = NONE; become_follower(i)
	:: else
	fi
}

/* Locals are part of the state: zero them so stale values do not
 * multiply the states. */
#define CLEAR	f = 0; t = 0; a = 0; m = 0; v = 0; ct = 0; j = 0; c = 0; ty = 0

proctype node(byte i)
{
	byte f, t, a, m, v, ct, j;
	bit c;
	mtype ty;

	do
	/* Candidacy: only without a running promise (pre-vote's rule). */
	:: atomic { up[i] && role[i] != 2 && now >= promise[i] &&
	       term[i] < MAXTERM && (cmask[i] & (1 << i)) && ONE_CANDIDACY(i)
	       ->
		term[i]++; voted[i] = i; role[i] = 1; votes[i] = 1 << i;
		j = 0;
		do
		:: j < N -> if :: j != i -> send(VOTE, i, j, 0) :: else fi; j++
		:: else -> break
		od;
		if :: QUORUM(i, votes[i]) -> become_leader(i) :: else fi; CLEAR }
	/* Leader: a new round (one per tick: a tick is longer than the
	 * heartbeat interval), or step down (check-quorum, any time). */
	:: atomic { up[i] && role[i] == 2 && round_sent[i] < now ->
		send_round(i); CLEAR }
#ifndef LIVE
	:: atomic { up[i] && role[i] == 2 && stepdowns < MAXSTEP ->
		stepdowns++; become_follower(i) }
	:: atomic { up[i] && role[i] == 2 && stepdowns < MAXSTEP ->
		stepdowns++;			/* pack_step_down() */
		become_follower(i); promise[i] = 0;
		j = 0;
		do
		:: j < N -> if :: j != i -> send(RELEASE, i, j, 0) :: else fi;
			j++
		:: else -> break
		od; CLEAR }
	/* The one voter-set change: remove node 2. */
	:: atomic { up[i] && role[i] == 2 && ccom[i] && cterm[i] == term[i] &&
	       !changed && cmask[i] == 7 ->
		changed = 1; cprev[i] = 7; cmask[i] = 3; cver[i]++;
		ccom[i] = 0; cfgacks[i] = 1 << i }
	/* Crash: the saved state (term, vote, voter set) survives. */
	:: atomic { up[i] && crashes < MAXCRASH -> crashes++; up[i] = 0;
		become_follower(i) }
	:: atomic { !up[i] -> up[i] = 1; promise[i] = now + P;
		promise_to[i] = NONE }
#endif
	/* Receive anything addressed to us, in any order. */
	:: atomic { net ?? ty, f, eval(i), t, a, m, v, ct, c ->
		if
		:: !up[i] -> skip
		:: ty == VOTE ->
			if
			:: !INCFG(i, f) -> skip
			:: now < promise[i] && promise_to[i] != f ->
				send(DENY, i, f, 0)
			:: else ->
				adopt(i, t);
				if
				:: t == term[i] && voted[i] == NONE &&
				   (ct > cterm[i] || (ct == cterm[i] &&
				   v >= cver[i])) -> voted[i] = f;
					send(GRANT, i, f, 0)
				:: t == term[i] && voted[i] == f ->
					send(GRANT, i, f, 0)
				:: else -> send(DENY, i, f, 0)
				fi
			fi
		:: ty == GRANT || ty == DENY ->
			adopt(i, t);
			if
			:: ty == GRANT && t == term[i] && role[i] == 1 ->
				votes[i] = votes[i] | (1 << f);
				if :: QUORUM(i, votes[i]) -> become_leader(i)
				   :: else fi
			:: else
			fi
		:: ty == HB ->
			if
			:: t < term[i] -> send(ACK, i, f, 255)
			:: else ->
				adopt(i, t);
				assert(role[i] != 2);
				role[i] = 0;
				if
				:: promise[i] = now + P
				:: promise[i] = now + P - 1	/* a slow clock */
				fi;
				promise_to[i] = f;
				cmask[i] = m; cver[i] = v; cterm[i] = ct; ccom[i] = c;
				cprev[i] = (m == 3 -> 7 : m);
				send(ACK, i, f, a)
			fi
		:: ty == ACK ->
			adopt(i, t);
			if
			:: role[i] == 2 && t == term[i] && a == round_sent[i] ->
				acks[i] = acks[i] | (1 << f);
				if :: v == cver[i] && ct == cterm[i] ->
					cfgacks[i] = cfgacks[i] | (1 << f)
				   :: else fi;
				on_acks(i)
			:: else
			fi
		:: ty == RELEASE ->
			if
			:: t == term[i] && promise_to[i] == f -> promise[i] = 0
			:: else
			fi
		fi; CLEAR }
	/* Drop a message in flight. */
#ifndef LIVE
	:: atomic { net ?? ty, f, eval(i), t, a, m, v, ct, c -> CLEAR }
#endif
	od
}

active proctype clock()
{
	do
	:: atomic { now < MAXT -> now++ }
	od
}

init {
	byte k;

	atomic {
		k = 0;
		do
		:: k < N -> voted[k] = NONE; up[k] = 1; promise_to[k] = NONE;
			cmask[k] = 7; cprev[k] = 7; cver[k] = 1; ccom[k] = 1;
			k++
		:: else -> break
		od;
		k = 0;
		do
		:: k <= MAXTERM -> leader_of[k] = NONE; k++
		:: else -> break
		od;
#ifdef LIVE
		up[2] = 0;
#endif
		run node(0); run node(1); run node(2)
	}
}
