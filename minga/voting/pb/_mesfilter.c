/* The Method of Equal Shares in floating point with certified error bounds: a filter for the
 * exact rule (mes.py), never a substitute for it.
 *
 * `run` computes one MES run on approval ballots (cost or cardinality satisfaction) in doubles
 * and proves, as it goes, that the exact rule makes the same choice at every step: which project
 * wins each round, and which projects its supporters can no longer afford. Wherever a proof
 * fails (a near-tie, a project whose supporters have almost exactly its cost), it gives up and
 * returns None, and the caller runs the exact rule. So the purchases it returns are those of
 * the exact rule, or there are none. docs/adr/0002-compiled-mes-filter.md says why it exists
 * and docs/pb-rules.md how it is checked.
 *
 * The bounds. Every voter's exact budget b_i (a rational) is within E of the double v_i kept
 * here, with one E for all voters. For a project with supporters S (s of them) and cost c (an
 * integer below 2^53, so exact as a double), the exact price per supporter q* solves
 * f(q) = sum_i min(b_i, q) = c. The price q computed here is checked by a second pass, which
 * sums G = sum_i min(v_i, q) (error at most (s + 2) u G, u = 2^-53) and counts
 * k = #{v_i < q + E} (the only terms in which min(b_i, q) and min(v_i, q) may differ, by at most
 * E each) and m = #{v_i >= q + DMAX + E}. Then |f(q) - c| <= |G - c| + (s + 2) u G + k E = R,
 * and since f rises by at least m x d between q and q + d, and between q - d and q, for any
 * d <= DMAX, |q* - q| <= R / m = D (D > DMAX, or m = 0: give up). After the winner's
 * supporters pay, each v_i is max(0, v_i - q) rounded, so the new E is E + D + 2 u b.
 *
 * A project whose supporters all certainly have at least c / s (v_i - E >= c / s rounded up)
 * has the exact price c / s, and its exact rho (1 / s for cost satisfaction, c / s for
 * cardinality) is compared exactly with another such project's: this is how the many exact ties
 * of the first rounds are broken (by the smallest id as a string, given here as a rank).
 *
 * Lazy evaluation as in mes.py: a price only rises within a run, so a lower bound computed in
 * an earlier round stays one. The queue is ordered by certified lower bounds on rho; the first
 * fresh entry is the candidate, and every project whose lower bound does not exceed the
 * candidate's upper bound is priced afresh and must be proved dearer (or, both exact, dearer
 * or equal with a larger id). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define U (1.0 / 9007199254740992.0) /* 2^-53, the unit round-off of a double */
#define DMAX_RELATIVE 1e-9            /* the largest error tolerated in a price, relative */
#define WATER_FILL_ITERATIONS 8
#define LANES 4 /* independent partial sums in the passes over a project's supporters */

enum { SAT_COST = 0, SAT_CARDINALITY = 1 };
enum { PRICED = 0, UNAFFORDABLE = 1, UNCERTAIN = 2 };

/* Where the last run gave up, for diagnostics: the round, the project being priced or the
 * candidate, the other project of a failed comparison (-1 if none) and the reason. */
static _Thread_local struct {
    int round, project, other;
    const char *reason;
} failure;

static void give_up(int round, int project, int other, const char *reason) {
    failure.round = round;
    failure.project = project;
    failure.other = other;
    failure.reason = reason;
}

typedef struct {
    double low; /* certified lower bound on rho */
    int rank;   /* tie-break: the project's rank by id as a string */
    int project;
} Entry;

/* A voter's budget, as computed, and a bound on its error; together, as they are read
 * together. */
typedef struct {
    double v, e;
} Money;

typedef struct {
    double q;     /* the price per supporter, as computed */
    double delta; /* |q* - q| <= delta */
    double low, high; /* certified bounds on rho */
    int exact;    /* the price is exactly cost / supporters */
} Price;

typedef struct {
    int voters, projects, sat;
    const int32_t *offsets, *supporters, *ranks;
    const double *costs; /* whole numbers below 2^53 */
    /* Scored ballots: each supporter entry's whole number of points t (parallel to
     * `supporters`), and each project's total T; NULL for approval ballots (every t is 1). */
    const double *weights;
    double *totals;
    Money *money; /* per voter: |the voter's exact budget - money[i].v| <= money[i].e */
    int round;
    double per_voter;
    double *scratch; /* 6 x widest */
    double *zeros;   /* widest zeros: the errors of budgets known exactly */
    int widest;      /* the most supporters of a project */
    /* This run's record, one entry per round: the winner, an upper bound on its rho, and
     * whether that rho was exact (cost / supporters). */
    int32_t *record_winner;
    double *record_high;
    int8_t *record_exact;
    /* ... and the price per supporter it was bought at, q, with |q* - q| <= delta. */
    double *record_q, *record_delta;
    /* An earlier run's record, at a smaller per-voter budget (rounds: previous_rounds), or
     * previous_rounds < 0 for none; and how many leading rounds the interval between the two
     * runs is certified for. */
    const int32_t *previous_winner;
    const double *previous_high;
    const int8_t *previous_exact;
    const double *previous_q, *previous_delta;
    double previous_per_voter, previous_error, own_error;
    int previous_rounds;
    int interval_rounds;
    /* The earlier run replayed, while the two make the same purchases: every voter's budget
     * there (money0) before this round, and a bound on the slope of that
     * voter's budget as a function of the per-voter budget over the interval between the two
     * runs (see pieces_certified). NULL without an earlier run. */
    Money *money0;
    double *slope;
    double *pieces; /* 2 x (PIECES + 1): the bounds at each cut of the interval */
    /* The first round whose winner differs from the earlier run's, after rounds certified over
     * the interval (-1 if none), with, for guessing where the change lies, the rho of the
     * earlier run's winner here and of this run's winner there (at b0, replayed). */
    int diverged;
    double diverged_theirs_here, diverged_ours_there;
    /* ... and this run's winner's supporters' money there and here (where it could not be
     * bought there). */
    double diverged_money_there, diverged_money_here;
} Run;

static int before(Entry a, Entry b) {
    return a.low < b.low || (a.low == b.low && a.rank < b.rank);
}

static void push(Entry *heap, int *size, Entry entry) {
    int i = (*size)++;
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!before(entry, heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = entry;
}

static Entry pop(Entry *heap, int *size) {
    Entry top = heap[0], last = heap[--(*size)];
    int i = 0;
    for (;;) {
        int child = 2 * i + 1;
        if (child >= *size) break;
        if (child + 1 < *size && before(heap[child + 1], heap[child])) child++;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
    }
    if (*size > 0) heap[i] = last;
    return top;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double unit_of(const Run *run, int p) {
    return run->sat == SAT_COST ? run->costs[p] : 1.0;
}

/* The price of project p now: PRICED (with *out filled), UNAFFORDABLE or UNCERTAIN. */
static int price_of(Run *run, int p, const double *v, const double *ve, int s, double total,
                    double errors, double least, double *sorted, Price *out);

static int price_over_weighted(Run *run, int p, const Money *money, Price *out);

/* The price of project p over the voters' budgets `money`. */
static int price_over(Run *run, int p, const Money *money, Price *out) {
    if (run->weights != NULL) return price_over_weighted(run, p, money, out);
    const int32_t *sup = run->supporters + run->offsets[p];
    int s = run->offsets[p + 1] - run->offsets[p];
    double total = 0.0, errors = 0.0, least = INFINITY;
    /* The supporters' budgets and errors, gathered once: the later passes read them in order. */
    double *v = run->scratch, *ve = run->scratch + run->widest, *sorted = ve + run->widest;
    double total4[LANES] = {0}, errors4[LANES] = {0}, least4[LANES];
    for (int k = 0; k < LANES; k++) least4[k] = INFINITY;
    int i = 0;
    for (; i + LANES <= s; i += LANES) {
        for (int k = 0; k < LANES; k++) {
            double b = money[sup[i + k]].v, e = money[sup[i + k]].e;
            v[i + k] = b;
            ve[i + k] = e;
            total4[k] += b;
            errors4[k] += e;
            least4[k] = b - e < least4[k] ? b - e : least4[k];
        }
    }
    for (; i < s; i++) {
        double b = money[sup[i]].v, e = money[sup[i]].e;
        v[i] = b;
        ve[i] = e;
        total4[0] += b;
        errors4[0] += e;
        least4[0] = b - e < least4[0] ? b - e : least4[0];
    }
    total = (total4[0] + total4[1]) + (total4[2] + total4[3]);
    errors = (errors4[0] + errors4[1]) + (errors4[2] + errors4[3]);
    least = fmin(fmin(least4[0], least4[1]), fmin(least4[2], least4[3]));
    return price_of(run, p, v, ve, s, total, errors, least, sorted, out);
}

static int price(Run *run, int p, Price *out) {
    return price_over(run, p, run->money, out);
}

/* The money of project p's supporters, summed, for a guess only. */
static double money_of(const Run *run, int p, const Money *money) {
    const int32_t *sup = run->supporters + run->offsets[p];
    int s = run->offsets[p + 1] - run->offsets[p];
    double total = 0.0;
    for (int i = 0; i < s; i++) total += money[sup[i]].v;
    return total;
}

/* The rho of a project priced over these budgets, for a guess only: the middle of its bounds,
 * infinity if it is unaffordable, NaN if the pricing gave up. */
static double rho_guessed(Run *run, int p, const Money *money) {
    Price price;
    int status = price_over(run, p, money, &price);
    if (status == UNAFFORDABLE) return INFINITY;
    if (status != PRICED) return NAN;
    return (price.low + price.high) / 2;
}

enum { GO_ON = 3 };

/* What both pricings (approval, scored) settle before water-filling: UNAFFORDABLE where the
 * supporters' money (`total`, within `errors` of the exact sum before rounding) certainly falls
 * short of the cost, UNCERTAIN where it may, PRICED (*out filled) where `enough` says that every
 * supporter certainly has their share of the even price `even`, which is then exact; GO_ON
 * otherwise. The exact total is within the sum of the errors of the sum of the v_i, which is
 * within (s + 2) u total of the computed sum (and so is the sum of the errors of its own). */
static int settle_early(Run *run, int p, int s, double total, double errors, double even,
                        int enough, Price *out) {
    double c = run->costs[p];
    double slack = errors * (1 + (s + 2) * U * 1.01) + (s + 2) * U * 1.01 * total;
    if (total + slack < c) return UNAFFORDABLE;
    if (total - slack < c) {
        give_up(run->round, p, -1, "affordability");
        return UNCERTAIN;
    }
    if (!enough) return GO_ON;
    double rho = even / unit_of(run, p);
    out->q = even;
    out->delta = 2 * U * even;
    out->low = rho * (1 - 4 * U);
    out->high = rho * (1 + 4 * U);
    out->exact = 1;
    return PRICED;
}

/* The price q, proved within delta of the exact one if delta <= limit (else UNCERTAIN). */
static int certified(Run *run, int p, double q, double delta, double limit, double unit,
                     Price *out) {
    if (!(delta <= limit)) {
        give_up(run->round, p, -1, "price error");
        return UNCERTAIN;
    }
    out->q = q;
    out->delta = delta;
    out->low = (q - delta) / unit * (1 - 4 * U);
    out->high = (q + delta) / unit * (1 + 4 * U);
    out->exact = 0;
    return PRICED;
}

/* The price of project p over the budgets v (each within ve of the exact one; their sum, the
 * sum of the errors and the least v - ve given), with `sorted` as scratch. */
static int price_of(Run *run, int p, const double *v, const double *ve, int s, double total,
                    double errors, double least, double *sorted, Price *out) {
    double c = run->costs[p];
    double even = c / s;
    double unit = unit_of(run, p);
    /* Everyone certainly has c / s: the price is exactly c / s. */
    int early = settle_early(run, p, s, total, errors, even,
                             least * (1 - 2 * U) >= even * (1 + 2 * U), out);
    if (early != GO_ON) return early;
    /* Water-filling: q = (c - money of those poorer than q) / the others, rising to the fixed
     * point; a sort if it has not settled after a few rounds. Each round sums those poorer
     * than q afresh, without branches (who they are is unpredictable) and in four sums. */
    double q = even;
    int settled = 0;
    for (int iteration = 0; iteration < WATER_FILL_ITERATIONS; iteration++) {
        double poorer4[LANES] = {0};
        int count4[LANES] = {0}, i = 0;
        for (; i + LANES <= s; i += LANES) {
            for (int k = 0; k < LANES; k++) {
                double x = v[i + k];
                poorer4[k] += x < q ? x : 0.0;
                count4[k] += x < q;
            }
        }
        for (; i < s; i++) {
            poorer4[0] += v[i] < q ? v[i] : 0.0;
            count4[0] += v[i] < q;
        }
        double poorer = (poorer4[0] + poorer4[1]) + (poorer4[2] + poorer4[3]);
        int count = count4[0] + count4[1] + count4[2] + count4[3];
        if (count == s) { /* affordable, so only by rounding */
            give_up(run->round, p, -1, "water-filling");
            return UNCERTAIN;
        }
        double next = (c - poorer) / (s - count);
        if (next <= q) {
            settled = 1;
            break;
        }
        q = next;
    }
    if (!settled) {
        memcpy(sorted, v, sizeof(double) * (size_t)s);
        qsort(sorted, s, sizeof(double), ascending);
        double paid = 0.0;
        int found = 0;
        for (int j = 0; j < s; j++) {
            if (c - paid <= sorted[j] * (s - j)) {
                q = (c - paid) / (s - j);
                found = 1;
                break;
            }
            paid += sorted[j];
        }
        if (!found) {
            give_up(run->round, p, -1, "water-filling");
            return UNCERTAIN;
        }
    }
    /* The certificate of q. */
    double dmax = q * DMAX_RELATIVE;
    /* In four independent sums (the bound on a sum's rounding holds in any order). */
    double got4[LANES] = {0}, near4[LANES] = {0};
    int rich4[LANES] = {0}, i = 0;
    for (; i + LANES <= s; i += LANES) {
        for (int k = 0; k < LANES; k++) {
            double b = v[i + k], e = ve[i + k];
            got4[k] += b < q ? b : q;
            near4[k] += b < q + e ? e : 0.0;
            rich4[k] += b >= q + dmax + e;
        }
    }
    for (; i < s; i++) {
        double b = v[i], e = ve[i];
        got4[0] += b < q ? b : q;
        near4[0] += b < q + e ? e : 0.0;
        rich4[0] += b >= q + dmax + e;
    }
    double got = (got4[0] + got4[1]) + (got4[2] + got4[3]);
    double near = (near4[0] + near4[1]) + (near4[2] + near4[3]);
    int rich = rich4[0] + rich4[1] + rich4[2] + rich4[3];
    if (rich == 0) {
        give_up(run->round, p, -1, "no supporter above the price");
        return UNCERTAIN;
    }
    double residual = fabs(got - c) + (s + 2) * U * 1.01 * (got + c + near) + near;
    return certified(run, p, q, residual / rich * (1 + 4 * U), dmax, unit, out);
}

static int exactly_cheaper(const Run *run, int w, int p);
/* Scored ballots. Supporter i of a project gives it t_i points (a whole number), and pays
 * min(b_i, Q t_i) at a price Q per point; with integer points the satisfaction is t_i, so rho is
 * Q. The exact Q* solves f(Q) = sum_i min(b_i, Q t_i) = c. As for approval ballots, the price Q
 * computed here is certified by a second pass: G = sum_i min(v_i, fl(Q t_i)) is within
 * (s + 2) u (G + c + near + Q T) of the exact sum over the v_i (the products' rounding
 * included), which is within `near` (the errors of those with v_i < Q t_i + e_i), and twice
 * u (Q T + the errors) for those the rounded test misplaces, of f(Q): that is R. f rises by at
 * least W d between Q and Q + d, and between Q - d and Q, for d <= DMAX / 2, W the points of
 * those with v_i >= (Q + DMAX) t_i + e_i: |Q* - Q| <= R / W. Where every supporter certainly
 * has (c / T) t_i (T the points given), Q* is exactly c / T. A supporter certainly poorer than
 * the price pays everything and is left with exactly 0; the others with max(0, v - fl(Q t)),
 * whose error grows by delta t, the product's rounding and the subtraction's. There is no
 * replay of an earlier run (pieces_certified): only the coarse interval certificate applies. */
typedef struct {
    double ratio, v, t;
} Share;

static int by_ratio(const void *a, const void *b) {
    double x = ((const Share *)a)->ratio, y = ((const Share *)b)->ratio;
    return (x > y) - (x < y);
}

static int price_of_weighted(Run *run, int p, const double *v, const double *ve,
                             const double *w, int s, double total, double errors, double least,
                             Price *out) {
    double c = run->costs[p], points = run->totals[p];
    double even = c / points;
    double unit = unit_of(run, p);
    int early = settle_early(run, p, s, total, errors, even,
                             least * (1 - 4 * U) >= even * (1 + 2 * U), out);
    if (early != GO_ON) return early;
    /* Water-filling: Q = (c - money of those poorer than Q t) / the others' points. */
    double q = even;
    int settled = 0;
    for (int iteration = 0; iteration < WATER_FILL_ITERATIONS; iteration++) {
        double poorer = 0.0, poorer_points = 0.0;
        for (int i = 0; i < s; i++) {
            int below = v[i] < q * w[i];
            poorer += below ? v[i] : 0.0;
            poorer_points += below ? w[i] : 0.0;
        }
        if (poorer_points >= points) { /* affordable, so only by rounding */
            give_up(run->round, p, -1, "water-filling");
            return UNCERTAIN;
        }
        double next = (c - poorer) / (points - poorer_points);
        if (next <= q) {
            settled = 1;
            break;
        }
        q = next;
    }
    if (!settled) {
        Share *shares = malloc(sizeof(Share) * (size_t)(s + 1));
        if (shares == NULL) {
            give_up(run->round, p, -1, "no memory");
            return UNCERTAIN;
        }
        for (int i = 0; i < s; i++) shares[i] = (Share){v[i] / w[i], v[i], w[i]};
        qsort(shares, (size_t)s, sizeof(Share), by_ratio);
        double paid = 0.0, rest = points;
        int found = 0;
        for (int j = 0; j < s; j++) {
            if (c - paid <= shares[j].ratio * rest) {
                q = (c - paid) / rest;
                found = 1;
                break;
            }
            paid += shares[j].v;
            rest -= shares[j].t;
        }
        free(shares);
        if (!found) {
            give_up(run->round, p, -1, "water-filling");
            return UNCERTAIN;
        }
    }
    /* The certificate of q. */
    double dmax = q * DMAX_RELATIVE;
    double got = 0.0, near = 0.0, rich = 0.0;
    for (int i = 0; i < s; i++) {
        double b = v[i], e = ve[i], t = w[i], due = q * t;
        got += b < due ? b : due;
        near += b < due + e ? e : 0.0;
        rich += b >= (q + dmax) * t + e ? t : 0.0;
    }
    if (rich == 0.0) {
        give_up(run->round, p, -1, "no supporter above the price");
        return UNCERTAIN;
    }
    double spread = q * points;
    double residual = fabs(got - c) + (s + 2) * U * 1.01 * (got + c + near + spread) + near +
                      2 * U * 1.01 * (spread + errors);
    return certified(run, p, q, residual / rich * (1 + 4 * U), dmax / 2, unit, out);
}

static int price_over_weighted(Run *run, int p, const Money *money, Price *out) {
    const int32_t *sup = run->supporters + run->offsets[p];
    const double *points = run->weights + run->offsets[p];
    int s = run->offsets[p + 1] - run->offsets[p];
    double *v = run->scratch, *ve = run->scratch + run->widest;
    double *w = run->scratch + 5 * run->widest;
    double total = 0.0, errors = 0.0, least = INFINITY;
    for (int i = 0; i < s; i++) {
        double b = money[sup[i]].v, e = money[sup[i]].e, t = points[i];
        v[i] = b;
        ve[i] = e;
        w[i] = t;
        total += b;
        errors += e;
        double ratio = (b - e) / t;
        if (ratio < least) least = ratio;
    }
    return price_of_weighted(run, p, v, ve, w, s, total, errors, least, out);
}

/* The winner w's supporters pay min(budget, Q* t) (scored ballots). */
static void charge_weighted(Run *run, int w, const Price *price) {
    const int32_t *sup = run->supporters + run->offsets[w];
    const double *points = run->weights + run->offsets[w];
    int s = run->offsets[w + 1] - run->offsets[w];
    double q = price->q, delta = price->delta, rounding = 2 * U * run->per_voter;
    for (int i = 0; i < s; i++) {
        Money *money = &run->money[sup[i]];
        double b = money->v, e = money->e, t = points[i], due = q * t;
        if (b + e <= (q - delta) * t * (1 - 4 * U)) {
            money->v = 0.0;
            money->e = 0.0;
        } else {
            money->v = b > due ? b - due : 0.0;
            money->e = (e + delta * t + 4 * U * due + rounding) * (1 + 2 * U);
        }
    }
}


/* The supporters `sup` (s of them) pay a price q* within delta of q: each pays min(budget, q*).
 * One certainly poorer than q* pays everything and is left with exactly 0; the others are left
 * with max(0, v - q), whose error is at most their error before, plus delta, plus the
 * subtraction's rounding (`rounding`, 2 u times the largest budget). */
static inline void pay(Money *money, double q, double delta, double rounding) {
    double b = money->v, e = money->e;
    if (b + e <= q - delta) {
        money->v = 0.0;
        money->e = 0.0;
    } else {
        money->v = b > q ? b - q : 0.0;
        money->e = e + delta + rounding;
    }
}

static void charge(const int32_t *sup, int s, Money *money, double q, double delta,
                   double rounding) {
    for (int i = 0; i < s; i++) pay(&money[sup[i]], q, delta, rounding);
}

/* The winner w's supporters pay its price here (`price`), and, with the earlier run replayed
 * (round r there, the same winner), its price there too, while their slope bounds rise by the
 * bound on the fall of its price (pieces_certified). */
static void charge_and_replay(Run *run, int w, int r, const Price *price) {
    const int32_t *sup = run->supporters + run->offsets[w];
    int s = run->offsets[w + 1] - run->offsets[w];
    double q = price->q, delta = price->delta, rounding = 2 * U * run->per_voter;
    double q0 = run->previous_q[r], delta0 = run->previous_delta[r];
    double rounding0 = 2 * U * run->previous_per_voter;
    /* Those possibly poorer than the price at b0 (the poorer at any b in the interval are
     * among them), their slopes summed (rounded up), and the others' number. */
    double slopes = 0.0;
    int poorer = 0;
    for (int i = 0; i < s; i++) {
        int voter = sup[i];
        pay(&run->money[voter], q, delta, rounding);
        int below = run->money0[voter].v - run->money0[voter].e < q0 + delta0;
        slopes += below ? run->slope[voter] : 0.0;
        poorer += below;
    }
    double fall = poorer == s ? INFINITY
                              : slopes * (1 + (s + 4) * U * 1.01) / (s - poorer) * (1 + 2 * U);
    for (int i = 0; i < s; i++) {
        int voter = sup[i];
        /* One left with nothing at b1 (this run, just charged) has nothing anywhere in the
         * interval: its budget no longer moves. */
        int spent = run->money[voter].v == 0.0 && run->money[voter].e == 0.0;
        run->slope[voter] = spent ? 0.0 : (run->slope[voter] + fall) * (1 + 2 * U);
        pay(&run->money0[voter], q0, delta0, rounding0);
    }
}

/* Whether (rho, rank) of w is certainly below that of p. */
static int cheaper(const Run *run, int w, const Price *pw, int p, const Price *pp) {
    if (pw->exact && pp->exact) return exactly_cheaper(run, w, p);
    return pw->high < pp->low;
}

/* Whether the exact rho of w (cost / supporters, as if every supporter could pay it) and its
 * rank are below those of p. */
static int exactly_cheaper(const Run *run, int w, int p) {
    {
        int sw = run->offsets[w + 1] - run->offsets[w];
        int sp = run->offsets[p + 1] - run->offsets[p];
        __int128 left, right;
        if (run->weights != NULL) {
            /* Scored ballots: rho = c / T, T the points given; c_w / T_w against c_p / T_p */
            left = (__int128)(int64_t)run->costs[w] * (int64_t)run->totals[p];
            right = (__int128)(int64_t)run->costs[p] * (int64_t)run->totals[w];
        } else if (run->sat == SAT_COST) {
            /* rho = 1 / s */
            left = (__int128)sp;
            right = (__int128)sw;
        } else {
            /* rho = c / s: c_w / s_w against c_p / s_p */
            left = (__int128)(int64_t)run->costs[w] * sp;
            right = (__int128)(int64_t)run->costs[p] * sw;
        }
        return left < right || (left == right && run->ranks[w] < run->ranks[p]);
    }
}

enum { TOP_FRESH, TOP_CHANGED, TOP_UNCERTAIN };

/* Settles the queue's top entry: TOP_FRESH if it was priced this round (left in place);
 * otherwise it is dropped (a project bought or unaffordable) or priced afresh and put back
 * (TOP_CHANGED), or the pricing gave up (TOP_UNCERTAIN). */
static int settle_top(Run *run, Entry *heap, int *size, Price *prices, int *fresh, char *alive,
                      int round) {
    Entry top = heap[0];
    if (alive[top.project] && fresh[top.project] == round) return TOP_FRESH;
    pop(heap, size);
    if (!alive[top.project]) return TOP_CHANGED;
    int status = price(run, top.project, &prices[top.project]);
    if (status == UNCERTAIN) return TOP_UNCERTAIN;
    if (status == UNAFFORDABLE) {
        alive[top.project] = 0;
        return TOP_CHANGED;
    }
    fresh[top.project] = round;
    push(heap, size, (Entry){prices[top.project].low, top.rank, top.project});
    return TOP_CHANGED;
}

/* The finer interval certificate of round r between `winner` and another project p, where the
 * coarse one (the winner's rho at b0 against p's at b1) fails: docs/pb-rules.md and
 * mes._interval_certified, of which this is the floating-point form, with bounds on slopes
 * added. With the same purchases over [b0, b1], every voter's budget x(b) before a round is a
 * continuous, non-decreasing, piecewise-linear function of the per-voter budget b:
 * - a voter with money left at b0 keeps some at every b above, and x rises at least as fast as
 *   b there (b less prices that do not rise with b): x(b0 + t) >= x(b0) + t;
 * - x rises at most as fast as the voter's slope bound. A voter starts with slope 1. One who
 *   pays a price q (not all its money) gains the price's fall, and -dq/db is the slopes of those
 *   who pay all their money, summed, over the number of the others. Those who pay all their
 *   money at some b in the interval paid all at b0 too (their money rose, the price fell), so
 *   the slope bounds of the voters possibly poorer than q at b0 (the earlier run, replayed
 *   here, says who), summed and divided by the number of the others, bound the price's fall
 *   over the whole interval. One left with nothing at b1 had nothing anywhere in the interval:
 *   its slope is 0 from then on.
 * So at b = b0 + t (D = b1 - b0), a voter has at least max(x(b0) + t, x(b1) - slope (D - t))
 * (the first only if it had money left at b0), and at most min(max(0, x(b1) - (D - t)),
 * x(b0) + slope t). The winner's rho at b is at most its price over the lower bounds, high(t),
 * and p's at least its price over the upper ones, low(t); both fall as t grows, so
 * high(t0) < low(t1) proves the round on [b0 + t0, b0 + t1]. [0, cover] (cover >= D) is cut in
 * pieces, down to 4096ths where needed. Where slopes are constant, the two bounds on each side
 * meet, so near-equal prices are told apart over the whole interval. */
#define PIECES 4096 /* the finest cut */
#define PIECES_AT_ONCE 64 /* the most pieces still to prove at one width */

/* A lower bound on the budget of voter i at b0 + t, before this round (t <= the interval,
 * rounded down; `cover` >= the interval). */
static double least_at(const Run *run, int i, double t, double cover) {
    double low0 = run->money0[i].v - run->money0[i].e;
    double x = low0 > 0 ? (low0 * (1 - 2 * U) + t) * (1 - 2 * U) : 0.0;
    double low1 = (run->money[i].v - run->money[i].e) * (1 - 2 * U);
    double rest = (cover - t) * (1 + 2 * U) * run->slope[i] * (1 + 2 * U);
    double y = (low1 - rest) * (1 - 2 * U);
    if (low1 - rest > 0 && y > x) x = y; /* false for NaN (an infinite slope times 0) */
    return x;
}

/* An upper bound on the budget of voter i at b0 + t (t rounded up; `shift` <= b1 - (b0 + t)). */
static double most_at(const Run *run, int i, double t, double shift) {
    double most = (run->money[i].v + run->money[i].e) * (1 + 2 * U) - shift;
    double x = most > 0 ? most * (1 + 2 * U) : 0.0;
    double y = ((run->money0[i].v + run->money0[i].e) * (1 + 2 * U) +
                run->slope[i] * t * (1 + 2 * U)) *
               (1 + 2 * U);
    if (y < x) x = y;
    return x;
}

static double shifted_high(Run *run, int w, double t, double cover) {
    const int32_t *sup = run->supporters + run->offsets[w];
    int s = run->offsets[w + 1] - run->offsets[w];
    double *v = run->scratch + 3 * run->widest, *ve = run->zeros;
    double total = 0.0, least = INFINITY;
    for (int i = 0; i < s; i++) {
        double b = least_at(run, sup[i], t, cover);
        v[i] = b;
        total += b;
        if (b < least) least = b;
    }
    Price price;
    if (price_of(run, w, v, ve, s, total, 0.0, least, run->scratch + 4 * run->widest, &price) !=
        PRICED)
        return INFINITY; /* no bound */
    return price.high;
}

static double shifted_low(Run *run, int p, double t, double shift) {
    const int32_t *sup = run->supporters + run->offsets[p];
    int s = run->offsets[p + 1] - run->offsets[p];
    double *v = run->scratch + 3 * run->widest, *ve = run->zeros;
    double total = 0.0, least = INFINITY;
    for (int i = 0; i < s; i++) {
        double b = most_at(run, sup[i], t, shift);
        v[i] = b;
        total += b;
        if (b < least) least = b;
    }
    Price price;
    int status =
        price_of(run, p, v, ve, s, total, 0.0, least, run->scratch + 4 * run->widest, &price);
    if (status == UNAFFORDABLE) return INFINITY; /* p cannot be bought there */
    if (status != PRICED) return -INFINITY;      /* no bound */
    return price.low;
}

/* The winner's bound at the k-th 4096th of [0, cover] (the t there, rounded down), computed
 * once per k. */
static double high_at(Run *run, int w, double cover, double *high, int k) {
    if (isnan(high[k])) high[k] = shifted_high(run, w, cover * k / PIECES * (1 - 2 * U), cover);
    return high[k];
}

/* The other's bound at the k-th 4096th: its money at b1 less what is left of the interval (the
 * interval's lower bound `shortest` less t, rounded down), and its money at b0 plus its slope
 * times t (rounded up), computed once per k. */
static double low_at(Run *run, int p, double shortest, double cover, double *low, int k) {
    if (isnan(low[k])) {
        double t = cover * k / PIECES;
        low[k] = shifted_low(run, p, t * (1 + 2 * U), fmax(0.0, shortest - t) * (1 - 2 * U));
    }
    return low[k];
}

static int pieces_certified(Run *run, int w, int p) {
    if (run->money0 == NULL) return 0;
    /* `cover` bounds b1 - b0 from above, `shortest` from below. */
    double gap = run->per_voter - run->previous_per_voter;
    double slack = run->own_error + run->previous_error + 4 * U * run->per_voter;
    double cover = (gap + slack) * (1 + 2 * U), shortest = gap - slack;
    if (!(shortest > 0)) return 0;
    double *high = run->pieces, *low = run->pieces + PIECES + 1;
    for (int k = 0; k <= PIECES; k++) high[k] = low[k] = NAN;
    /* A piece [k0, k1] (in 4096ths of cover) is proved if the winner's bound at k0 is below
     * the other's at k1. At the upper end, the winner's bound must be below the other's own.
     * The pieces that fail are halved, while there are at most 64 of them. */
#define BEATS(k0, k1)                                                                          \
    (high_at(run, w, cover, high, k0) < low_at(run, p, shortest, cover, low, k1))
    if (!BEATS(PIECES, PIECES)) return 0;
    /* The pieces still to prove, all of width `width`, by their first 4096th. */
    int starts[PIECES_AT_ONCE], count = 1, width = PIECES;
    starts[0] = 0;
    for (;;) {
        int failed[PIECES_AT_ONCE], nfailed = 0;
        for (int i = 0; i < count; i++) {
            if (!BEATS(starts[i], starts[i] + width)) failed[nfailed++] = starts[i];
        }
        if (nfailed == 0) return 1;
        if (width == 1 || 2 * nfailed > PIECES_AT_ONCE) return 0;
        width /= 2;
        count = 0;
        for (int i = 0; i < nfailed; i++) {
            int middle = failed[i] + width;
            /* Where the bounds cross at a single point, no piece through it can pass. */
            if (!BEATS(middle, middle)) return 0;
            starts[count++] = failed[i];
            starts[count++] = middle;
        }
    }
#undef BEATS
}

/* The interval certificate of round `round`, for a run at a per-voter budget b1 against an
 * earlier run at b0 < b1 that made the same purchases in the earlier rounds (docs/pb-rules.md):
 * with the same purchases, every voter's budget is non-decreasing in the per-voter budget, so
 * every price is non-increasing in it. The earlier winner's rho at b0 bounds its rho at every
 * b in [b0, b1] from above, and any other project's certified lower bound here (at b1) bounds
 * its rho there from below; a project unaffordable here is unaffordable there. So if the
 * earlier run's winner is this run's, and it is certainly cheaper than every project here whose
 * lower bound is not above its bound at b0, it wins this round at every b in [b0, b1]. Exact
 * prices compare exactly: an exact rho at b0 stays exact above it, and cost / supporters is a
 * lower bound on any rho. Returns 1 (certified), 0 (not) or -1 (a price gave up). */
static int interval_round(Run *run, Entry *heap, int *size, Entry *aside, Price *prices,
                          int *fresh, char *alive, int round, int winner) {
    int r = round - 1;
    if (run->previous_winner[r] != winner) return 0;
    double bound = run->previous_high[r];
    if (prices[winner].high > bound) bound = prices[winner].high;
    int set_aside = 0, held = 1;
    while (*size > 0 && heap[0].low <= bound) {
        int top = settle_top(run, heap, size, prices, fresh, alive, round);
        if (top == TOP_UNCERTAIN) return -1;
        if (top != TOP_FRESH) continue;
        int p = heap[0].project;
        const Price *pp = &prices[p];
        int ok = run->previous_exact[r] && pp->exact ? exactly_cheaper(run, winner, p)
                                                      : run->previous_high[r] < pp->low;
        if (!ok) ok = pieces_certified(run, winner, p);
        if (!ok) {
            held = 0;
            break;
        }
        aside[set_aside++] = pop(heap, size);
    }
    for (int i = 0; i < set_aside; i++) push(heap, size, aside[i]);
    return held;
}

/* One run; the purchases in order into `bought` (their number into *count). Returns 1 when
 * every step was certified, 0 when it gave up. */
static int run_mes(Run *run, int32_t *bought, int *count) {
    int m = run->projects;
    Entry *heap = malloc(sizeof(Entry) * (size_t)(2 * m + 2));
    Entry *aside = malloc(sizeof(Entry) * (size_t)(m + 1));
    Price *prices = malloc(sizeof(Price) * (size_t)(m + 1));
    int *fresh = calloc((size_t)m + 1, sizeof(int));
    char *alive = calloc((size_t)m + 1, 1);
    int certified = 0, size = 0, round = 1;
    *count = 0;
    run->round = round;
    give_up(0, -1, -1, "");
    if (!heap || !aside || !prices || !fresh || !alive) goto done;
    for (int p = 0; p < m; p++) {
        int s = run->offsets[p + 1] - run->offsets[p];
        if (s <= 0 || run->costs[p] <= 0) continue;
        alive[p] = 1;
        /* cost / total satisfaction bounds rho from below at any budget */
        double given = run->weights != NULL ? run->totals[p] : (double)s;
        double low = run->costs[p] / given / unit_of(run, p) * (1 - 4 * U);
        push(heap, &size, (Entry){low, run->ranks[p], p});
    }
    for (;;) {
        /* The first fresh entry: the candidate. */
        int winner = -1;
        Entry candidate;
        while (size > 0) {
            int top = settle_top(run, heap, &size, prices, fresh, alive, round);
            if (top == TOP_UNCERTAIN) goto done;
            if (top == TOP_FRESH) {
                candidate = pop(heap, &size);
                winner = candidate.project;
                break;
            }
        }
        if (winner < 0) break;
        /* Every project that might be as cheap must be proved dearer. One proved cheaper (its
         * bounds below, or an exact tie that its rank wins, where rounding ordered the two
         * lower bounds the other way) becomes the candidate: those set aside are dearer than
         * the one it beat, and so than it. */
        Price *pw = &prices[winner];
        int set_aside = 0;
        while (size > 0 && heap[0].low <= pw->high) {
            int top = settle_top(run, heap, &size, prices, fresh, alive, round);
            if (top == TOP_UNCERTAIN) goto done;
            if (top != TOP_FRESH) continue;
            int other = heap[0].project;
            if (!cheaper(run, winner, pw, other, &prices[other])) {
                if (!cheaper(run, other, &prices[other], winner, pw)) {
                    give_up(round, winner, other, "near-tie");
                    goto done;
                }
                aside[set_aside++] = candidate;
                candidate = pop(heap, &size);
                winner = other;
                pw = &prices[winner];
                continue;
            }
            aside[set_aside++] = pop(heap, &size);
        }
        for (int i = 0; i < set_aside; i++) push(heap, &size, aside[i]);
        if (run->interval_rounds == round - 1 && round <= run->previous_rounds) {
            int held = interval_round(run, heap, &size, aside, prices, fresh, alive, round,
                                      winner);
            if (held < 0) goto done;
            if (held) run->interval_rounds = round;
            if (!held && run->previous_winner[round - 1] != winner && run->diverged < 0) {
                run->diverged = round - 1;
                run->diverged_theirs_here =
                    rho_guessed(run, run->previous_winner[round - 1], run->money);
                /* Without the earlier run replayed (scored ballots), no guess there. */
                run->diverged_ours_there =
                    run->money0 != NULL ? rho_guessed(run, winner, run->money0) : NAN;
                run->diverged_money_there =
                    run->money0 != NULL ? money_of(run, winner, run->money0) : NAN;
                run->diverged_money_here = money_of(run, winner, run->money);
            }
        }
        run->record_winner[round - 1] = winner;
        run->record_high[round - 1] = pw->high;
        run->record_exact[round - 1] = (int8_t)pw->exact;
        run->record_q[round - 1] = pw->q;
        run->record_delta[round - 1] = pw->delta;
        /* The purchase. */
        alive[winner] = 0;
        bought[(*count)++] = winner;
        /* The earlier run's purchase is replayed while the interval still holds. */
        if (run->weights != NULL)
            charge_weighted(run, winner, pw);
        else if (run->money0 != NULL && run->interval_rounds == round)
            charge_and_replay(run, winner, round - 1, pw);
        else
            charge(run->supporters + run->offsets[winner],
                   run->offsets[winner + 1] - run->offsets[winner], run->money, pw->q,
                   pw->delta, 2 * U * run->per_voter);
        run->round = ++round;
    }
    certified = 1;
done:
    free(heap);
    free(aside);
    free(prices);
    free(fresh);
    free(alive);
    return certified;
}

/* The first project p whose supporters' range offsets[p]:offsets[p + 1] does not lie, in
 * order, within the `entries` supporters, or -1. */
static int bad_offset(const int32_t *off, int projects, Py_ssize_t entries) {
    for (int p = 0; p < projects; p++)
        if (off[p] < 0 || off[p + 1] < off[p] || off[p + 1] > entries) return p;
    return -1;
}

/* The first supporter entry that is not one of the voters, or -1 (it needs no GIL). */
static Py_ssize_t first_stranger(const int32_t *sup, Py_ssize_t entries, int voters) {
    for (Py_ssize_t i = 0; i < entries; i++)
        if (sup[i] < 0 || sup[i] >= voters) return i;
    return -1;
}

static int check_buffer(Py_buffer *buffer, const char *name, const char *format,
                        Py_ssize_t itemsize) {
    if (buffer->itemsize != itemsize || buffer->ndim > 1) {
        PyErr_Format(PyExc_TypeError, "%s: a flat buffer of items of %zd bytes (%s) is needed",
                     name, itemsize, format);
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(run_doc,
             "run(voters, offsets, supporters, costs, ranks, cardinality, per_voter_budget, "
             "error, earlier=None)\n\n"
             "One MES run on approval ballots, every choice certified against the exact rule: "
             "None where a certificate failed, otherwise (purchases, winners, highs, exact, "
             "prices, deltas, interval, diverged). purchases: project indices in order. "
             "winners (int32), highs (float64), exact (int8), prices and deltas (float64), one "
             "item per round, are this run's record: pass them, with its per-voter budget and "
             "error, as `earlier` to a run at a larger per-voter budget, whose `interval` is "
             "then True if MES makes the same purchases at every per-voter budget between the "
             "two. diverged: None, or, where the two runs' winners first differ after rounds "
             "certified over the interval, (round, the earlier winner's rho here, this winner's "
             "rho there, this winner's supporters' money there and here), for guessing where "
             "the change lies. offsets and supporters: int32 buffers (supporters of project p "
             "are supporters[offsets[p]:offsets[p + 1]]); costs: float64 buffer of whole "
             "numbers below 2^53 (projects of cost 0 are skipped); ranks: int32 buffer, each "
             "project's position by id as a string; error: a bound on |per_voter_budget - the "
             "exact per-voter budget|. weights (scored ballots with whole points, with "
             "cardinality true: the satisfaction is the points): a float64 buffer, each "
             "supporter entry's points, whole numbers from 1 below 2^31; runs with weights are "
             "certified over an interval by the coarse certificate only. with_slopes (for the "
             "tests): return (the result, every voter's slope bound as float64 bytes, or None "
             "without an earlier run).");

static PyObject *mesfilter_run(PyObject *self, PyObject *args) {
    (void)self;
    int voters, cardinality;
    double per_voter, error;
    Py_buffer offsets, supporters, costs, ranks;
    Py_buffer earlier_winner = {0}, earlier_high = {0}, earlier_exact = {0};
    Py_buffer earlier_q = {0}, earlier_delta = {0};
    double earlier_per_voter = 0.0, earlier_error = 0.0;
    int has_earlier = 0;
    PyObject *earlier = Py_None, *weights_given = Py_None;
    Py_buffer weights = {0};
    int with_slopes = 0;
    if (!PyArg_ParseTuple(args, "iy*y*y*y*pdd|OOp", &voters, &offsets, &supporters, &costs,
                          &ranks, &cardinality, &per_voter, &error, &earlier, &weights_given,
                          &with_slopes))
        return NULL;
    PyObject *result = NULL;
    Run run = {0};
    int32_t *bought = NULL;
    if (weights_given != Py_None &&
        PyObject_GetBuffer(weights_given, &weights, PyBUF_SIMPLE | PyBUF_FORMAT) < 0)
        goto release;
    if (earlier != Py_None) {
        if (!PyArg_ParseTuple(earlier,
                              "y*y*y*y*y*dd;earlier: (winners, highs, exact, prices, deltas, "
                              "per_voter_budget, error)",
                              &earlier_winner, &earlier_high, &earlier_exact, &earlier_q,
                              &earlier_delta, &earlier_per_voter, &earlier_error))
            goto release;
        has_earlier = 1;
        if (!check_buffer(&earlier_winner, "earlier winners", "int32", 4) ||
            !check_buffer(&earlier_high, "earlier highs", "float64", 8) ||
            !check_buffer(&earlier_exact, "earlier exact", "int8", 1))
            goto release;
        if (!check_buffer(&earlier_q, "earlier prices", "float64", 8) ||
            !check_buffer(&earlier_delta, "earlier deltas", "float64", 8))
            goto release;
        Py_ssize_t rounds = earlier_winner.len / 4;
        if (earlier_high.len / 8 != rounds || earlier_exact.len != rounds ||
            earlier_q.len / 8 != rounds || earlier_delta.len / 8 != rounds) {
            PyErr_SetString(PyExc_ValueError, "earlier: one item per round in each buffer");
            goto release;
        }
        const double *qs = earlier_q.buf, *deltas = earlier_delta.buf;
        for (Py_ssize_t r = 0; r < rounds; r++) {
            if (!(qs[r] >= 0) || !isfinite(qs[r]) || !(deltas[r] >= 0) || !isfinite(deltas[r])) {
                PyErr_Format(PyExc_ValueError, "earlier: round %zd is not a run's record", r);
                goto release;
            }
        }
        if (!(earlier_per_voter >= 0) || !isfinite(earlier_per_voter) || !(earlier_error >= 0) ||
            !isfinite(earlier_error) || earlier_per_voter > per_voter) {
            PyErr_SetString(PyExc_ValueError,
                            "earlier: its per-voter budget must be finite and not above this one");
            goto release;
        }
    }
    if (!check_buffer(&offsets, "offsets", "int32", 4) ||
        !check_buffer(&supporters, "supporters", "int32", 4) ||
        !check_buffer(&costs, "costs", "float64", 8) || !check_buffer(&ranks, "ranks", "int32", 4))
        goto release;
    int projects = (int)(costs.len / 8);
    if (offsets.len / 4 != projects + 1 || ranks.len / 4 != projects) {
        PyErr_SetString(PyExc_ValueError, "offsets needs one more item than costs, ranks as many");
        goto release;
    }
    const int32_t *off = offsets.buf, *sup = supporters.buf;
    Py_ssize_t entries = supporters.len / 4;
    int bad = bad_offset(off, projects, entries), widest = 0;
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError, "offsets[%d]: not ascending within supporters", bad);
        goto release;
    }
    for (int p = 0; p < projects; p++)
        if (off[p + 1] - off[p] > widest) widest = off[p + 1] - off[p];
    if (weights.obj != NULL) {
        if (!check_buffer(&weights, "weights", "float64", 8)) goto release;
        if (weights.len / 8 != entries) {
            PyErr_SetString(PyExc_ValueError, "weights: one item per supporter entry");
            goto release;
        }
        const double *t = weights.buf;
        for (Py_ssize_t i = 0; i < entries; i++) {
            if (!(t[i] >= 1 && t[i] < 2147483648.0 && t[i] == floor(t[i]))) {
                PyErr_Format(PyExc_ValueError, "weights[%zd]: a whole number from 1 below 2^31",
                             i);
                goto release;
            }
        }
        run.weights = t;
        run.totals = malloc(sizeof(double) * (size_t)(projects + 1));
        if (!run.totals) {
            PyErr_NoMemory();
            goto release;
        }
        /* Each total is a whole number below 2^31 x 2^31 = 2^62 only if summed exactly: below
         * 2^53 it is (every partial sum is a whole number below it). */
        for (int p = 0; p < projects; p++) {
            double total = 0.0;
            for (int32_t i = off[p]; i < off[p + 1]; i++) total += t[i];
            if (!(total < 9007199254740992.0)) {
                PyErr_Format(PyExc_ValueError, "weights: project %d's total is 2^53 or more", p);
                goto release;
            }
            run.totals[p] = total;
        }
    }
    /* Every supporter must be a voter: checked without the GIL, with the run (below). */
    Py_ssize_t stranger = -1;
    if (!(per_voter >= 0) || !(error >= 0) || !isfinite(per_voter) || !isfinite(error)) {
        PyErr_SetString(PyExc_ValueError, "per_voter_budget and error: finite, not negative");
        goto release;
    }
    run.voters = voters;
    run.projects = projects;
    run.sat = cardinality ? SAT_CARDINALITY : SAT_COST;
    run.offsets = off;
    run.supporters = sup;
    run.ranks = ranks.buf;
    run.costs = costs.buf;
    run.per_voter = per_voter;
    run.money = malloc(sizeof(Money) * (size_t)(voters + 1));
    run.widest = widest + 1;
    run.previous_rounds = -1;
    run.diverged = -1;
    if (has_earlier) {
        run.previous_winner = earlier_winner.buf;
        run.previous_high = earlier_high.buf;
        run.previous_exact = earlier_exact.buf;
        run.previous_rounds = (int)(earlier_winner.len / 4);
        run.previous_q = earlier_q.buf;
        run.previous_delta = earlier_delta.buf;
        run.previous_per_voter = earlier_per_voter;
        run.previous_error = earlier_error;
        /* Scored ballots: no replay (only the coarse interval certificate applies). */
        if (run.weights == NULL) {
            run.money0 = malloc(sizeof(Money) * (size_t)(voters + 1));
            run.slope = malloc(sizeof(double) * (size_t)(voters + 1));
            run.pieces = malloc(sizeof(double) * 2 * (PIECES + 1));
            if (!run.money0 || !run.slope || !run.pieces) {
                PyErr_NoMemory();
                goto release;
            }
        }
    }
    run.own_error = error;
    run.record_q = malloc(sizeof(double) * (size_t)(projects + 1));
    run.record_delta = malloc(sizeof(double) * (size_t)(projects + 1));
    run.zeros = calloc((size_t)widest + 1, sizeof(double));
    run.record_winner = malloc(sizeof(int32_t) * (size_t)(projects + 1));
    run.record_high = malloc(sizeof(double) * (size_t)(projects + 1));
    run.record_exact = malloc((size_t)projects + 1);
    run.scratch = malloc(sizeof(double) * 6 * (size_t)(widest + 1));
    bought = malloc(sizeof(int32_t) * (size_t)(projects + 1));
    if (!run.money || !run.scratch || !bought || !run.record_winner ||
        !run.record_high || !run.record_exact || !run.record_q || !run.record_delta ||
        !run.zeros) {
        PyErr_NoMemory();
        goto release;
    }
    int count = 0, certified = 0;
    /* The buffers are held, so the checks, the set-up and the run need no GIL: another
     * thread's run goes on meanwhile. */
    Py_BEGIN_ALLOW_THREADS
    stranger = first_stranger(sup, entries, voters);
    if (stranger < 0) {
        for (int i = 0; i < voters; i++) {
            run.money[i] = (Money){per_voter, error};
        }
        if (run.money0 != NULL) {
            for (int i = 0; i < voters; i++) {
                run.money0[i] = (Money){earlier_per_voter, earlier_error};
                run.slope[i] = 1.0;
            }
        }
        certified = run_mes(&run, bought, &count);
    }
    Py_END_ALLOW_THREADS
    if (stranger >= 0) {
        PyErr_Format(PyExc_ValueError, "supporters[%zd]: not a voter", stranger);
        goto release;
    }
    if (!certified) {
        result = Py_NewRef(Py_None);
        goto release;
    }
    PyObject *purchases = PyList_New(count);
    if (!purchases) goto release;
    for (int i = 0; i < count; i++) {
        PyObject *item = PyLong_FromLong(bought[i]);
        if (!item) {
            Py_DECREF(purchases);
            goto release;
        }
        PyList_SET_ITEM(purchases, i, item);
    }
    /* The interval holds only if every round of both runs is certified. */
    int interval = has_earlier && run.interval_rounds == count && count == run.previous_rounds;
    PyObject *diverged = run.diverged < 0 ? Py_NewRef(Py_None)
                                          : Py_BuildValue("(idddd)", run.diverged,
                                                          run.diverged_theirs_here,
                                                          run.diverged_ours_there,
                                                          run.diverged_money_there,
                                                          run.diverged_money_here);
    if (!diverged) {
        Py_DECREF(purchases);
        goto release;
    }
    result = Py_BuildValue("(Ny#y#y#y#y#ON)", purchases, (const char *)run.record_winner,
                           (Py_ssize_t)(4 * count), (const char *)run.record_high,
                           (Py_ssize_t)(8 * count), (const char *)run.record_exact,
                           (Py_ssize_t)count, (const char *)run.record_q,
                           (Py_ssize_t)(8 * count), (const char *)run.record_delta,
                           (Py_ssize_t)(8 * count),
                           interval ? Py_True : Py_False, diverged);
    if (result != NULL && with_slopes) {
        /* For the tests of the slope bounds: every voter's, as the run left them (None
         * without a replayed earlier run). */
        PyObject *slopes = run.slope == NULL
                               ? Py_NewRef(Py_None)
                               : PyBytes_FromStringAndSize((const char *)run.slope,
                                                           (Py_ssize_t)(8 * (size_t)voters));
        PyObject *both = slopes == NULL ? NULL : PyTuple_Pack(2, result, slopes);
        Py_XDECREF(slopes);
        Py_DECREF(result);
        result = both;
    }
release:
    free(run.totals);
    free(run.record_q);
    free(run.record_delta);
    free(run.money0);
    free(run.slope);
    free(run.pieces);
    free(run.zeros);
    free(run.record_winner);
    free(run.record_high);
    free(run.record_exact);
    free(run.money);
    free(run.scratch);
    free(bought);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&supporters);
    PyBuffer_Release(&costs);
    PyBuffer_Release(&ranks);
    if (earlier_winner.obj) PyBuffer_Release(&earlier_winner);
    if (earlier_high.obj) PyBuffer_Release(&earlier_high);
    if (earlier_exact.obj) PyBuffer_Release(&earlier_exact);
    if (earlier_q.obj) PyBuffer_Release(&earlier_q);
    if (earlier_delta.obj) PyBuffer_Release(&earlier_delta);
    if (weights.obj) PyBuffer_Release(&weights);
    return result;
}

PyDoc_STRVAR(last_failure_doc,
             "last_failure()\n\n"
             "Where the last run on this thread gave up: (round, project, other project or -1, "
             "reason), or None if it did not.");

static PyObject *mesfilter_last_failure(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (failure.reason == NULL || failure.reason[0] == '\0') Py_RETURN_NONE;
    return Py_BuildValue("(iiis)", failure.round, failure.project, failure.other, failure.reason);
}

/* Checks the arrays of cluster() and overlaps(): 1, with the number of projects and of
 * supporter entries, or 0 with an exception naming the array. */
static int check_ballots(int voters, Py_buffer *offsets, Py_buffer *supporters, int *projects,
                         Py_ssize_t *entries) {
    if (!check_buffer(offsets, "offsets", "int32", 4) ||
        !check_buffer(supporters, "supporters", "int32", 4))
        return 0;
    int m = (int)(offsets->len / 4) - 1;
    const int32_t *off = offsets->buf, *sup = supporters->buf;
    Py_ssize_t n = supporters->len / 4;
    if (m < 0 || voters < 0 || off[0] != 0 || off[m] != n) {
        PyErr_SetString(PyExc_ValueError,
                        "offsets: one more item than the projects, from 0 to the supporters'");
        return 0;
    }
    int bad = bad_offset(off, m, n);
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError, "offsets[%d]: not ascending within supporters", bad);
        return 0;
    }
    Py_ssize_t stranger = first_stranger(sup, n, voters);
    if (stranger >= 0) {
        PyErr_Format(PyExc_ValueError, "supporters[%zd]: not a voter", stranger);
        return 0;
    }
    *projects = m;
    *entries = n;
    return 1;
}

/* The voters numbered afresh (cluster): each voter's ballot as the popularity ranks of its
 * projects, ascending, and the voters in the order of their ballots. */
typedef struct {
    const int32_t *starts, *ranks;
} Ballots;

static _Thread_local const Ballots *sorting;

static int by_ballot(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    const int32_t *rx = sorting->ranks + sorting->starts[x], *ry = sorting->ranks + sorting->starts[y];
    int32_t nx = sorting->starts[x + 1] - sorting->starts[x];
    int32_t ny = sorting->starts[y + 1] - sorting->starts[y];
    for (int32_t i = 0; i < nx && i < ny; i++)
        if (rx[i] != ry[i]) return rx[i] < ry[i] ? -1 : 1;
    if (nx != ny) return nx < ny ? -1 : 1;
    return (x > y) - (x < y);
}

static _Thread_local const int32_t *counting; /* the supporters' counts, for by_popularity */

static int by_popularity(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (counting[x] != counting[y]) return counting[x] > counting[y] ? -1 : 1;
    return (x > y) - (x < y);
}

PyDoc_STRVAR(cluster_doc,
             "cluster(voters, offsets, supporters)\n\n"
             "The supporters (int32 buffer, project p's are supporters[offsets[p]:offsets[p + "
             "1]]) with the voters numbered afresh so that those who approve the same projects "
             "(the most approved first) come together, each project's ascending: bytes of "
             "int32, in the same layout. run() reads a project's supporters' budgets by "
             "number, so neighbours then share cache lines.");

static PyObject *mesfilter_cluster(PyObject *self, PyObject *args) {
    (void)self;
    int voters;
    Py_buffer offsets, supporters;
    if (!PyArg_ParseTuple(args, "iy*y*", &voters, &offsets, &supporters)) return NULL;
    PyObject *result = NULL;
    int32_t *popular = NULL, *counts = NULL, *starts = NULL, *ranks = NULL;
    int32_t *order = NULL, *seen = NULL, *fill = NULL, *out = NULL;
    int projects;
    Py_ssize_t entries;
    if (!check_ballots(voters, &offsets, &supporters, &projects, &entries)) goto release;
    const int32_t *off = offsets.buf, *sup = supporters.buf;
    popular = malloc(sizeof(int32_t) * (size_t)(projects + 1));
    counts = calloc((size_t)projects + 1, sizeof(int32_t));
    starts = calloc((size_t)voters + 1, sizeof(int32_t));
    ranks = malloc(sizeof(int32_t) * (size_t)(entries + 1));
    order = malloc(sizeof(int32_t) * (size_t)(voters + 1));
    seen = malloc(sizeof(int32_t) * (size_t)(voters + 1));
    fill = calloc((size_t)projects + 1, sizeof(int32_t));
    out = malloc(sizeof(int32_t) * (size_t)(entries + 1));
    if (!popular || !counts || !starts || !ranks || !order || !seen || !fill || !out) {
        PyErr_NoMemory();
        goto release;
    }
    Py_BEGIN_ALLOW_THREADS
    for (int p = 0; p < projects; p++) {
        popular[p] = p;
        counts[p] = off[p + 1] - off[p];
    }
    counting = counts;
    qsort(popular, (size_t)projects, sizeof(int32_t), by_popularity);
    /* Each voter's ranks, ascending: filled in the order of the ranks. */
    /* seen[v]: how many of voter v's ranks are in so far */
    for (Py_ssize_t i = 0; i < entries; i++) starts[sup[i]]++;
    for (int v = 0, at = 0; v < voters; v++) {
        int32_t n = starts[v];
        starts[v] = at;
        at += n;
        seen[v] = 0;
    }
    starts[voters] = (int32_t)entries;
    for (int r = 0; r < projects; r++) {
        int p = popular[r];
        for (int32_t i = off[p]; i < off[p + 1]; i++) ranks[starts[sup[i]] + seen[sup[i]]++] = r;
    }
    Ballots ballots = {starts, ranks};
    sorting = &ballots;
    for (int v = 0; v < voters; v++) order[v] = v;
    qsort(order, (size_t)voters, sizeof(int32_t), by_ballot);
    /* Numbered in that order, each project's supporters come out ascending. */
    for (int n = 0; n < voters; n++) {
        int v = order[n];
        for (int32_t i = starts[v]; i < starts[v + 1]; i++) {
            int p = popular[ranks[i]];
            out[off[p] + fill[p]++] = n;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)(4 * entries));
release:
    free(popular);
    free(counts);
    free(starts);
    free(ranks);
    free(order);
    free(seen);
    free(fill);
    free(out);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&supporters);
    return result;
}

PyDoc_STRVAR(overlaps_doc,
             "overlaps(voters, offsets, supporters, limit)\n\n"
             "How many supporters each two projects share: bytes of int32, row p holding, for "
             "every project q, the number of voters who support both (the diagonal: p's own "
             "number). offsets and supporters as for run() (each project's supporters distinct). "
             "None where the work, the sum over voters of their ballot's length squared, would "
             "exceed `limit`.");

static PyObject *mesfilter_overlaps(PyObject *self, PyObject *args) {
    (void)self;
    int voters;
    long long limit;
    Py_buffer offsets, supporters;
    if (!PyArg_ParseTuple(args, "iy*y*L", &voters, &offsets, &supporters, &limit)) return NULL;
    PyObject *result = NULL;
    int32_t *starts = NULL, *ballots = NULL, *seen = NULL, *counts = NULL;
    int projects;
    Py_ssize_t entries;
    if (!check_ballots(voters, &offsets, &supporters, &projects, &entries)) goto release;
    const int32_t *off = offsets.buf, *sup = supporters.buf;
    starts = calloc((size_t)voters + 1, sizeof(int32_t));
    if (!starts) {
        PyErr_NoMemory();
        goto release;
    }
    for (Py_ssize_t i = 0; i < entries; i++) starts[sup[i]]++;
    long long work = (long long)projects * projects;
    for (int v = 0; v < voters; v++) work += (long long)starts[v] * starts[v];
    if (work > limit) {
        result = Py_None;
        Py_INCREF(result);
        goto release;
    }
    ballots = malloc(sizeof(int32_t) * (size_t)(entries + 1));
    seen = calloc((size_t)voters + 1, sizeof(int32_t));
    counts = calloc((size_t)projects * (size_t)projects + 1, sizeof(int32_t));
    if (!ballots || !seen || !counts) {
        PyErr_NoMemory();
        goto release;
    }
    Py_BEGIN_ALLOW_THREADS
    for (int v = 0, at = 0; v < voters; v++) {
        int32_t n = starts[v];
        starts[v] = at;
        at += n;
    }
    starts[voters] = (int32_t)entries;
    for (int p = 0; p < projects; p++)
        for (int32_t i = off[p]; i < off[p + 1]; i++) ballots[starts[sup[i]] + seen[sup[i]]++] = p;
    for (int v = 0; v < voters; v++) {
        for (int32_t i = starts[v]; i < starts[v + 1]; i++) {
            int32_t *row = counts + (size_t)ballots[i] * (size_t)projects;
            for (int32_t j = starts[v]; j < starts[v + 1]; j++) row[ballots[j]]++;
        }
    }
    Py_END_ALLOW_THREADS
    result = PyBytes_FromStringAndSize((const char *)counts,
                                       (Py_ssize_t)(4 * (size_t)projects * (size_t)projects));
release:
    free(starts);
    free(ballots);
    free(seen);
    free(counts);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&supporters);
    return result;
}

static PyMethodDef methods[] = {
    {"run", mesfilter_run, METH_VARARGS, run_doc},
    {"cluster", mesfilter_cluster, METH_VARARGS, cluster_doc},
    {"overlaps", mesfilter_overlaps, METH_VARARGS, overlaps_doc},
    {"last_failure", mesfilter_last_failure, METH_NOARGS, last_failure_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_mesfilter",
    "MES in floating point with certified error bounds: a filter for the exact rule.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__mesfilter(void) { return PyModule_Create(&module); }
