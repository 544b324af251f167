/* A stand-in for the EC-Lab Development Package library: a VMP-300 with a cell behind each channel.
 *
 * It exports the functions of eclib.h with the same C signatures and structure layouts, so that the
 * project's real ctypes binding (instruments/biologic/eclib_ctypes.py) can be loaded on it (CDLL where
 * there is no WinDLL) and driven end to end in CI, without BioLogic's DLL (which exists for Windows
 * only). It behaves like an instrument, as far as public sources describe one:
 *   - BL_Connect accepts "USB<n>" or a dotted IPv4 address and reports device code 12 (VMP-300);
 *   - channels 0..N-1 are plugged (N = 2 unless set), each with a PREMIUM board (the "...4.ecc" files,
 *     firmware kernel4.bin + vmp_iv_0395_aa.xlx); loading a technique before the firmware gives -308;
 *     with "eclab_firmware" set, BL_LoadFirmware answers -9 (EC-Lab's firmware is on the instrument)
 *     unless forced, and techniques run on that firmware;
 *   - techniques OCV, CA, CP (with current steps and cycles), PEIS and GEIS, linked with first/last,
 *     with the parameter labels and types of the Development Package; an unknown label or a value of
 *     the wrong type is refused with -4 (the real library's handling of these is not documented);
 *   - BL_GetData returns rows of one technique and one process per call, in the documented layouts
 *     (SP-300 family): OCV t_high t_low Ewe; CA/CP t_high t_low Ewe I cycle; PEIS/GEIS process 0
 *     t_high t_low Ewe I, process 1 freq |Ewe| |I| phase_Zwe Ewe I 0 |Ece| |Ice| phase_Zce Ece 0 0 t.
 *     Time = StartTime + TimeBase * ((t_high << 32) + t_low).
 * The cell is R0-(R1|C1)-(R2|C2) (impedance exact; galvanostatic and potentiostatic responses integrated
 * exactly or implicitly), which short-circuits to R_short once |I| has stayed at or above a threshold for a
 * given time, as a cell does past its critical current density. Phase_Zwe is given in degrees, which is
 * what the project's driver assumes (unconfirmed; see instruments/biologic/README.md).
 *
 * Stand-in only (not in the real library): StandIn_SetClock (time from the caller, e.g. the bench clock),
 * StandIn_Set / StandIn_Get (cell values, options, state) and StandIn_Fail (error injection).
 * Written for POSIX compilers (gcc/clang); it is a test fixture, not a driver.
 */
#define _POSIX_C_SOURCE 200809L
#include "eclib.h"

#include <complex.h>
#undef I   /* TCurrentValues has a field named I */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_TECHNIQUES 16
#define MAX_PARAMS 96
#define MAX_STEPS 20
#define MAX_FREQ 2000
#define FIFO_ROWS 20000
#define MAX_COLS 16
#define MAX_CONNECTIONS 4
#define MAX_PLUGGED 4
#define TIME_BASE_S 2.0e-5
#define PI 3.14159265358979323846

/* ---------------------------------------------------------------------------------------------- */
/* clock                                                                                            */

typedef double (*clock_fn)(void);
static clock_fn clock_cb = 0;
static double mono_origin = -1.0;

static double now_s(void) {
    if (clock_cb) return clock_cb();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    if (mono_origin < 0) mono_origin = t;
    return t - mono_origin;
}

/* ---------------------------------------------------------------------------------------------- */
/* instrument state                                                                                 */

typedef struct { char label[64]; int32_t type; uint32_t bits; int32_t index; } Param;

typedef struct {
    int id;                 /* KBIO_TECHID_* */
    int nparams;
    Param params[MAX_PARAMS];
} Technique;

typedef struct {
    int tech_index, tech_id, process, loop, ncols;
    double start_time;
    uint32_t words[MAX_COLS];
} Row;

typedef struct {
    int firmware;                       /* our firmware loaded on this channel */
    int ntech;
    Technique tech[MAX_TECHNIQUES];
    int state;
    double t_origin;                    /* clock time of BL_StartChannel */
    double t;                           /* channel time (s since start) simulated so far */
    /* the running technique */
    int active;
    double tech_start;                  /* channel time at which it started */
    int step, nsteps, cycle, ncycles;
    double step_end;                    /* channel time */
    double next_record;
    int process;                        /* PEIS/GEIS: 0 = potential/current step, 1 = frequencies */
    int freq_index, nfreq;
    double freqs[MAX_FREQ];
    double point_end;
    /* the cell */
    double i;                           /* A, positive = anodic, into the working electrode */
    double e_set;                       /* potentiostatic set point (CA, PEIS) */
    int potentiostatic;
    double v1, v2;                      /* voltages across the two RC elements */
    double over_s;                      /* time spent at |I| >= short threshold */
    int shorted;
    /* data not yet read */
    Row *fifo;
    int head, count, skipped;
} Channel;

static Row fifo_storage[MAX_PLUGGED][FIFO_ROWS];
static Channel channels[MAX_SLOT_NB];

typedef struct {
    double r0, r1, c1, r2, c2, r_short, short_current_a, short_delay_s, e_ocv;
    int plugged, eclab_firmware, max_connections;
    int connections[MAX_CONNECTIONS];
    int calls;
} Instrument;
/* 60 ohm in series with 25 ohm | 1 nF (apex 6.4 MHz) and 500 ohm | 1 uF (apex 318 Hz); no short */
#define INSTRUMENT_DEFAULTS {60.0, 25.0, 1e-9, 500.0, 1e-6, 0.5, 1e9, 0.0, 0.0, 2, 0, MAX_CONNECTIONS, {0}, 0}
static Instrument instr = INSTRUMENT_DEFAULTS;

static struct { char function[64]; int32_t code; int32_t count; } fault = {"", 0, 0};

static void reset_channel(int c) {
    Row *fifo = c < MAX_PLUGGED ? fifo_storage[c] : 0;
    memset(&channels[c], 0, sizeof(Channel));
    channels[c].fifo = fifo;
}

static int initialised = 0;
static void init(void) {
    if (initialised) return;
    initialised = 1;
    for (int c = 0; c < MAX_SLOT_NB; c++) reset_channel(c);
}

/* an injected error for this function, if any */
static int32_t injected(const char *function) {
    instr.calls++;
    if (fault.count == 0) return 0;
    if (strcmp(fault.function, "*") != 0 && strcmp(fault.function, function) != 0) return 0;
    if (fault.count > 0) fault.count--;
    return fault.code;
}

static int connected(int32_t id) {
    return id >= 1 && id <= MAX_CONNECTIONS && instr.connections[id - 1];
}

static int channel_ok(uint8_t ch) { return ch < MAX_PLUGGED && ch < instr.plugged; }

#define ENTER(name)                                                                                  \
    init();                                                                                          \
    do {                                                                                             \
        int32_t e_ = injected(name);                                                                 \
        if (e_) return e_;                                                                           \
    } while (0)

/* ---------------------------------------------------------------------------------------------- */
/* technique parameters                                                                             */

typedef struct { const char *label; int32_t type; int array; } Field;

static const Field OCV_FIELDS[] = {
    {"Rest_time_T", PARAM_SINGLE, 0}, {"Record_every_dE", PARAM_SINGLE, 0}, {"Record_every_dT", PARAM_SINGLE, 0},
    {"E_Range", PARAM_INT, 0}, {0, 0, 0}};
static const Field CA_FIELDS[] = {
    {"Voltage_step", PARAM_SINGLE, 1}, {"vs_initial", PARAM_BOOLEAN, 1}, {"Duration_step", PARAM_SINGLE, 1},
    {"Step_number", PARAM_INT, 0}, {"Record_every_dT", PARAM_SINGLE, 0}, {"Record_every_dI", PARAM_SINGLE, 0},
    {"N_Cycles", PARAM_INT, 0}, {"I_Range", PARAM_INT, 0}, {"E_Range", PARAM_INT, 0}, {"Bandwidth", PARAM_INT, 0},
    {0, 0, 0}};
static const Field CP_FIELDS[] = {
    {"Current_step", PARAM_SINGLE, 1}, {"vs_initial", PARAM_BOOLEAN, 1}, {"Duration_step", PARAM_SINGLE, 1},
    {"Step_number", PARAM_INT, 0}, {"Record_every_dT", PARAM_SINGLE, 0}, {"Record_every_dE", PARAM_SINGLE, 0},
    {"N_Cycles", PARAM_INT, 0}, {"I_Range", PARAM_INT, 0}, {"E_Range", PARAM_INT, 0}, {"Bandwidth", PARAM_INT, 0},
    {0, 0, 0}};
static const Field PEIS_FIELDS[] = {
    {"vs_initial", PARAM_BOOLEAN, 0}, {"vs_final", PARAM_BOOLEAN, 0}, {"Initial_Voltage_step", PARAM_SINGLE, 0},
    {"Final_Voltage_step", PARAM_SINGLE, 0}, {"Duration_step", PARAM_SINGLE, 0}, {"Step_number", PARAM_INT, 0},
    {"Record_every_dT", PARAM_SINGLE, 0}, {"Record_every_dI", PARAM_SINGLE, 0}, {"Final_frequency", PARAM_SINGLE, 0},
    {"Initial_frequency", PARAM_SINGLE, 0}, {"sweep", PARAM_BOOLEAN, 0}, {"Amplitude_Voltage", PARAM_SINGLE, 0},
    {"Frequency_number", PARAM_INT, 0}, {"Average_N_times", PARAM_INT, 0}, {"Correction", PARAM_BOOLEAN, 0},
    {"Wait_for_steady", PARAM_SINGLE, 0}, {"I_Range", PARAM_INT, 0}, {"E_Range", PARAM_INT, 0},
    {"Bandwidth", PARAM_INT, 0}, {0, 0, 0}};
static const Field GEIS_FIELDS[] = {
    {"vs_initial", PARAM_BOOLEAN, 0}, {"vs_final", PARAM_BOOLEAN, 0}, {"Initial_Current_step", PARAM_SINGLE, 0},
    {"Final_Current_step", PARAM_SINGLE, 0}, {"Duration_step", PARAM_SINGLE, 0}, {"Step_number", PARAM_INT, 0},
    {"Record_every_dT", PARAM_SINGLE, 0}, {"Record_every_dV", PARAM_SINGLE, 0}, {"Final_frequency", PARAM_SINGLE, 0},
    {"Initial_frequency", PARAM_SINGLE, 0}, {"sweep", PARAM_BOOLEAN, 0}, {"Amplitude_Current", PARAM_SINGLE, 0},
    {"Frequency_number", PARAM_INT, 0}, {"Average_N_times", PARAM_INT, 0}, {"Correction", PARAM_BOOLEAN, 0},
    {"Wait_for_steady", PARAM_SINGLE, 0}, {"I_Range", PARAM_INT, 0}, {"E_Range", PARAM_INT, 0},
    {"Bandwidth", PARAM_INT, 0}, {0, 0, 0}};

typedef struct { const char *base; int id; const Field *fields; } TechniqueFile;
static const TechniqueFile TECHNIQUE_FILES[] = {
    {"ocv", KBIO_TECHID_OCV, OCV_FIELDS}, {"ca", KBIO_TECHID_CA, CA_FIELDS}, {"cp", KBIO_TECHID_CP, CP_FIELDS},
    {"peis", KBIO_TECHID_PEIS, PEIS_FIELDS}, {"geis", KBIO_TECHID_GEIS, GEIS_FIELDS}, {0, 0, 0}};

static float bits_to_float(uint32_t bits) { float f; memcpy(&f, &bits, 4); return f; }
static uint32_t float_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static const Param *find_param(const Technique *t, const char *label, int index) {
    for (int k = 0; k < t->nparams; k++)
        if (t->params[k].index == index && strcmp(t->params[k].label, label) == 0) return &t->params[k];
    return 0;
}

static double pf(const Technique *t, const char *label, int index, double fallback) {
    const Param *p = find_param(t, label, index);
    if (!p) return fallback;
    if (p->type == PARAM_SINGLE) return bits_to_float(p->bits);
    return (double)(int32_t)p->bits;
}

/* ---------------------------------------------------------------------------------------------- */
/* the cell                                                                                         */

static double complex cell_impedance(const Channel *ch, double f) {
    if (ch->shorted) return instr.r_short;
    double w = 2 * PI * f;
    return instr.r0 + instr.r1 / (1 + _Complex_I * w * instr.r1 * instr.c1) +
           instr.r2 / (1 + _Complex_I * w * instr.r2 * instr.c2);
}

static double cell_ewe(const Channel *ch) {
    if (ch->shorted) return instr.e_ocv + ch->i * instr.r_short;
    return instr.e_ocv + ch->i * instr.r0 + ch->v1 + ch->v2;
}

/* advance the cell by dt at the present control (constant current, or constant potential) */
static void cell_advance(Channel *ch, double dt) {
    if (dt <= 0) return;
    if (!ch->shorted && fabs(ch->i) >= instr.short_current_a) {
        ch->over_s += dt;
        if (ch->over_s >= instr.short_delay_s - 1e-12) ch->shorted = 1;
    }
    double t1 = instr.r1 * instr.c1, t2 = instr.r2 * instr.c2;
    if (!ch->potentiostatic) {
        double i = ch->i;
        ch->v1 = i * instr.r1 + (ch->v1 - i * instr.r1) * exp(-dt / t1);
        ch->v2 = i * instr.r2 + (ch->v2 - i * instr.r2) * exp(-dt / t2);
        return;
    }
    /* implicit Euler in sub-steps: v_k' = (v_k + h I / C_k) / (1 + h / tau_k), I = (E - sum v_k') / R0 */
    double left = dt;
    while (left > 0) {
        double h = left < 0.05 ? left : 0.05;
        left -= h;
        double e = ch->e_set - instr.e_ocv;
        if (ch->shorted) { ch->i = e / instr.r_short; continue; }
        double d1 = 1 + h / t1, d2 = 1 + h / t2;
        double a = ch->v1 / d1 + ch->v2 / d2, b = h / instr.c1 / d1 + h / instr.c2 / d2;
        double i = (e - a) / (instr.r0 + b);
        ch->v1 = (ch->v1 + h * i / instr.c1) / d1;
        ch->v2 = (ch->v2 + h * i / instr.c2) / d2;
        ch->i = i;
    }
}

static void set_potential(Channel *ch, double e) {
    ch->potentiostatic = 1;
    ch->e_set = e;
    if (!ch->shorted) ch->i = (e - instr.e_ocv - ch->v1 - ch->v2) / instr.r0;
    else ch->i = (e - instr.e_ocv) / instr.r_short;
}

static void set_current(Channel *ch, double i) { ch->potentiostatic = 0; ch->i = i; }

/* ---------------------------------------------------------------------------------------------- */
/* rows                                                                                             */

static void push_row(Channel *ch, int process, int ncols, const uint32_t *words) {
    if (!ch->fifo) return;
    if (ch->count == FIFO_ROWS) {           /* the channel's memory is full: the oldest row is lost */
        ch->head = (ch->head + 1) % FIFO_ROWS;
        ch->count--;
        ch->skipped++;
    }
    Row *r = &ch->fifo[(ch->head + ch->count) % FIFO_ROWS];
    ch->count++;
    r->tech_index = ch->active;
    r->tech_id = ch->tech[ch->active].id;
    r->process = process;
    r->loop = ch->cycle;
    r->ncols = ncols;
    r->start_time = ch->tech_start;
    memcpy(r->words, words, sizeof(uint32_t) * (size_t)ncols);
}

static void record_time_row(Channel *ch, int process) {
    const Technique *t = &ch->tech[ch->active];
    uint64_t ticks = (uint64_t)llround((ch->t - ch->tech_start) / TIME_BASE_S);
    uint32_t w[5] = {(uint32_t)(ticks >> 32), (uint32_t)(ticks & 0xffffffffu), float_to_bits((float)cell_ewe(ch)),
                     float_to_bits((float)ch->i), (uint32_t)ch->cycle};
    int ncols = 5;
    if (t->id == KBIO_TECHID_OCV) ncols = 3;
    else if (t->id == KBIO_TECHID_PEIS || t->id == KBIO_TECHID_GEIS) ncols = 4;
    push_row(ch, process, ncols, w);
}

static void record_frequency_row(Channel *ch) {
    const Technique *t = &ch->tech[ch->active];
    double f = ch->freqs[ch->freq_index];
    double complex z = cell_impedance(ch, f);
    double e_abs, i_abs;
    if (t->id == KBIO_TECHID_PEIS) {
        e_abs = pf(t, "Amplitude_Voltage", 0, 0.01);
        i_abs = e_abs / cabs(z);
    } else {
        i_abs = pf(t, "Amplitude_Current", 0, 1e-4);
        e_abs = i_abs * cabs(z);
    }
    double phase_deg = carg(z) * 180.0 / PI;
    uint32_t w[14] = {float_to_bits((float)f), float_to_bits((float)e_abs), float_to_bits((float)i_abs),
                      float_to_bits((float)phase_deg), float_to_bits((float)cell_ewe(ch)),
                      float_to_bits((float)ch->i), 0, float_to_bits((float)(0.5 * e_abs)),
                      float_to_bits((float)i_abs), float_to_bits((float)phase_deg),
                      float_to_bits((float)(-0.5 * cell_ewe(ch))), 0, 0,
                      float_to_bits((float)(ch->t - ch->tech_start))};
    push_row(ch, 1, 14, w);
}

/* ---------------------------------------------------------------------------------------------- */
/* technique sequencing                                                                             */

static double record_dt(const Technique *t) {
    double dt = pf(t, "Record_every_dT", 0, 0.0);
    return dt > 0 ? dt : 1e30;
}

static double point_duration(const Technique *t, double f) {
    double wait = pf(t, "Wait_for_steady", 0, 0.0);
    int n = (int)pf(t, "Average_N_times", 0, 1);
    if (n < 1) n = 1;
    double period = 2.0 / f > 0.1 ? 2.0 / f : 0.1;
    return wait / f + n * period + 0.01;
}

static void stop(Channel *ch) {
    ch->state = KBIO_STATE_STOP;
    set_current(ch, 0.0);
}

static void begin_step(Channel *ch, double t_now) {
    const Technique *t = &ch->tech[ch->active];
    ch->step_end = t_now + pf(t, "Duration_step", ch->step, 0.0);
    if (t->id == KBIO_TECHID_CP) {
        double i = pf(t, "Current_step", ch->step, 0.0);
        set_current(ch, i);
    } else if (t->id == KBIO_TECHID_CA) {
        set_potential(ch, pf(t, "Voltage_step", ch->step, 0.0));
    }
    ch->next_record = t_now;
}

static void begin_technique(Channel *ch, int index, double t_now);

static void next_technique(Channel *ch, double t_now) {
    if (ch->active + 1 < ch->ntech) begin_technique(ch, ch->active + 1, t_now);
    else stop(ch);
}

static void begin_technique(Channel *ch, int index, double t_now) {
    ch->active = index;
    ch->tech_start = t_now;
    ch->step = 0;
    ch->cycle = 0;
    const Technique *t = &ch->tech[index];
    switch (t->id) {
    case KBIO_TECHID_OCV:
        set_current(ch, 0.0);
        ch->step_end = t_now + pf(t, "Rest_time_T", 0, 0.0);
        ch->next_record = t_now;
        break;
    case KBIO_TECHID_CA:
    case KBIO_TECHID_CP:
        ch->nsteps = (int)pf(t, "Step_number", 0, 0) + 1;
        ch->ncycles = (int)pf(t, "N_Cycles", 0, 0);
        begin_step(ch, t_now);
        break;
    default: {      /* PEIS, GEIS */
        int n = (int)pf(t, "Frequency_number", 0, 1);
        double fi = pf(t, "Initial_frequency", 0, 1e3), ff = pf(t, "Final_frequency", 0, 1e3);
        int linear = (int)pf(t, "sweep", 0, 0);
        ch->nfreq = n;
        for (int k = 0; k < n; k++) {
            double x = n > 1 ? (double)k / (n - 1) : 0.0;
            ch->freqs[k] = linear ? fi + (ff - fi) * x : exp(log(fi) + (log(ff) - log(fi)) * x);
        }
        ch->freq_index = 0;
        if (t->id == KBIO_TECHID_PEIS) set_potential(ch, pf(t, "Initial_Voltage_step", 0, 0.0));
        else set_current(ch, pf(t, "Initial_Current_step", 0, 0.0));
        ch->process = 0;
        ch->step_end = t_now + pf(t, "Duration_step", 0, 0.0);
        ch->next_record = t_now;
        record_time_row(ch, 0);
        ch->next_record = t_now + record_dt(t);
        break;
    }
    }
}

/* simulate the channel up to channel time t_end, recording rows as the instrument would */
static void advance(Channel *ch, double t_end) {
    int guard = 0;
    while (ch->state == KBIO_STATE_RUN && ch->t < t_end && guard++ < 10000000) {
        const Technique *t = &ch->tech[ch->active];
        int eis = t->id == KBIO_TECHID_PEIS || t->id == KBIO_TECHID_GEIS;
        double next = t_end;
        if (ch->next_record < next && !(eis && ch->process == 1)) next = ch->next_record;
        if (!eis || ch->process == 0) { if (ch->step_end < next) next = ch->step_end; }
        else if (ch->point_end < next) next = ch->point_end;
        if (!ch->shorted && fabs(ch->i) >= instr.short_current_a && !ch->potentiostatic) {
            double t_short = ch->t + (instr.short_delay_s - ch->over_s);
            if (t_short > ch->t && t_short < next) next = t_short;
        }
        cell_advance(ch, next - ch->t);
        ch->t = next;
        if (eis) {
            if (ch->process == 0) {
                if (ch->t >= ch->step_end) {
                    ch->process = 1;
                    ch->point_end = ch->t + point_duration(t, ch->freqs[0]);
                } else if (ch->t >= ch->next_record) {
                    record_time_row(ch, 0);
                    ch->next_record += record_dt(t);
                }
            } else if (ch->t >= ch->point_end) {
                record_frequency_row(ch);
                if (++ch->freq_index >= ch->nfreq) next_technique(ch, ch->t);
                else ch->point_end = ch->t + point_duration(t, ch->freqs[ch->freq_index]);
            }
            continue;
        }
        if (ch->t >= ch->step_end) {            /* end of a step: record its last point, go on */
            record_time_row(ch, 0);
            if (t->id == KBIO_TECHID_OCV) { next_technique(ch, ch->t); continue; }
            if (++ch->step >= ch->nsteps) {
                ch->step = 0;
                if (ch->cycle++ >= ch->ncycles) { next_technique(ch, ch->t); continue; }
            }
            begin_step(ch, ch->t);
            ch->next_record = ch->t + record_dt(t);
        } else if (ch->t >= ch->next_record) {
            record_time_row(ch, 0);
            ch->next_record += record_dt(t);
        }
    }
}

static void catch_up(Channel *ch) {
    if (ch->state == KBIO_STATE_RUN) advance(ch, now_s() - ch->t_origin);
}

static void fill_values(Channel *ch, TCurrentValues *v) {
    memset(v, 0, sizeof(*v));
    v->State = ch->state;
    v->MemFilled = ch->count * 4 * MAX_COLS;
    v->TimeBase = (float)TIME_BASE_S;
    v->Ewe = (float)cell_ewe(ch);
    v->EweRangeMin = -10.0f;
    v->EweRangeMax = 10.0f;
    v->Ece = (float)(-0.5 * cell_ewe(ch));
    v->EceRangeMin = -10.0f;
    v->EceRangeMax = 10.0f;
    v->I = (float)ch->i;
    v->IRange = 8;
    v->ElapsedTime = (float)ch->t;
    if (ch->state == KBIO_STATE_RUN) {
        const Technique *t = &ch->tech[ch->active];
        if ((t->id == KBIO_TECHID_PEIS || t->id == KBIO_TECHID_GEIS) && ch->process == 1)
            v->Freq = (float)ch->freqs[ch->freq_index < ch->nfreq ? ch->freq_index : ch->nfreq - 1];
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* the exported functions                                                                           */

static int valid_address(const char *a) {
    if (!a) return 0;
    if (strncmp(a, "USB", 3) == 0) {
        if (!a[3]) return 0;
        for (const char *p = a + 3; *p; p++) if (*p < '0' || *p > '9') return 0;
        return 1;
    }
    unsigned b[4];
    char extra;
    if (sscanf(a, "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &extra) != 4) return 0;
    return b[0] < 256 && b[1] < 256 && b[2] < 256 && b[3] < 256;
}

BL_EXPORT int32_t BL_CALL BL_Connect(const char *address, uint8_t timeout_s, int32_t *id, TDeviceInfos *infos) {
    ENTER("BL_Connect");
    (void)timeout_s;
    if (!id || !infos) return ERR_GEN_INVALIDPARAMETERS;
    if (!valid_address(address)) return ERR_COMM_INVALIDIPADDRESS;
    int slot = -1, n = 0;
    for (int k = 0; k < MAX_CONNECTIONS; k++) {
        if (instr.connections[k]) n++;
        else if (slot < 0) slot = k;
    }
    if (slot < 0 || n >= instr.max_connections) return ERR_COMM_MAXCONNREACHED;
    instr.connections[slot] = 1;
    *id = slot + 1;
    memset(infos, 0, sizeof(*infos));
    infos->DeviceCode = KBIO_DEV_VMP300;
    infos->RAMsize = 64;
    infos->CPU = 1;
    infos->NumberOfChannels = instr.plugged;
    infos->NumberOfSlots = MAX_SLOT_NB;
    infos->FirmwareVersion = 1137;
    infos->FirmwareDate_yyyy = 2024;
    infos->FirmwareDate_mm = 1;
    infos->FirmwareDate_dd = 15;
    infos->NbOfConnectedPC = n + 1;
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_Disconnect(int32_t id) {
    ENTER("BL_Disconnect");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    instr.connections[id - 1] = 0;
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_GetChannelsPlugged(int32_t id, uint8_t *plugged, uint8_t size) {
    ENTER("BL_GetChannelsPlugged");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!plugged) return ERR_GEN_INVALIDPARAMETERS;
    for (int c = 0; c < size; c++) plugged[c] = (uint8_t)channel_ok((uint8_t)c);
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_GetChannelInfos(int32_t id, uint8_t channel, TChannelInfos *infos) {
    ENTER("BL_GetChannelInfos");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!channel_ok(channel)) return ERR_GEN_CHANNELNOTPLUGGED;
    if (!infos) return ERR_GEN_INVALIDPARAMETERS;
    Channel *ch = &channels[channel];
    catch_up(ch);
    memset(infos, 0, sizeof(*infos));
    infos->Channel = channel;
    infos->BoardVersion = 3;
    infos->BoardSerialNumber = 30000 + channel;
    infos->FirmwareCode = ch->firmware ? 11 : 0;      /* kbio FIRMWARE: 11 = ECAL4, 0 = none */
    infos->FirmwareVersion = ch->firmware ? 601 : 0;
    infos->Zboard = 1;
    infos->MemSize = FIFO_ROWS * 4 * MAX_COLS;
    infos->MemFilled = ch->count * 4 * MAX_COLS;
    infos->State = ch->state;
    infos->MaxIRange = 10;
    infos->MinIRange = 0;
    infos->MaxBandwidth = 9;
    infos->NbOfTechniques = ch->ntech;
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_GetChannelBoardType(int32_t id, uint8_t channel, uint32_t *board_type) {
    ENTER("BL_GetChannelBoardType");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!channel_ok(channel)) return ERR_GEN_CHANNELNOTPLUGGED;
    if (!board_type) return ERR_GEN_INVALIDPARAMETERS;
    *board_type = BOARD_PREMIUM;
    return ERR_NOERROR;
}

static const char *base_name(const char *path) {
    const char *b = path;
    for (const char *p = path; *p; p++) if (*p == '/' || *p == '\\') b = p + 1;
    return b;
}

BL_EXPORT int32_t BL_CALL BL_LoadFirmware(int32_t id, uint8_t *chans, int32_t *results, uint8_t length,
                                          bool show_gauge, bool force_reload, const char *bin_file,
                                          const char *xlx_file) {
    ENTER("BL_LoadFirmware");
    (void)show_gauge;
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!chans || !results || length == 0 || length > MAX_SLOT_NB) return ERR_GEN_INVALIDPARAMETERS;
    if (bin_file && strcmp(base_name(bin_file), "kernel4.bin") != 0) return ERR_FIRM_FIRMFILENOTEXISTS;
    if (xlx_file && strcmp(base_name(xlx_file), "vmp_iv_0395_aa.xlx") != 0) return ERR_FIRM_FIRMFILENOTEXISTS;
    int any = 0;
    for (int c = 0; c < length; c++) {
        results[c] = 0;
        if (!chans[c]) continue;
        any = 1;
        if (!channel_ok((uint8_t)c)) { results[c] = ERR_GEN_CHANNELNOTPLUGGED; continue; }
        if (channels[c].state != KBIO_STATE_STOP) { results[c] = ERR_GEN_CHANNEL_RUNNING; continue; }
    }
    if (!any) return ERR_GEN_NOCHANNELSELECTED;
    if (instr.eclab_firmware && !force_reload) return ERR_GEN_ECLAB_LOADED;
    for (int c = 0; c < length; c++)
        if (chans[c] && results[c] == 0) channels[c].firmware = 1;
    if (force_reload) instr.eclab_firmware = 0;
    return ERR_NOERROR;
}

static int32_t define(const char *label, int32_t type, uint32_t bits, int32_t index, TEccParam *param) {
    if (!label || !param || !label[0] || strlen(label) >= sizeof(param->ParamStr) || index < 0)
        return ERR_GEN_INVALIDPARAMETERS;
    memset(param, 0, sizeof(*param));
    strncpy(param->ParamStr, label, sizeof(param->ParamStr) - 1);
    param->ParamType = type;
    param->ParamVal = bits;
    param->ParamIndex = index;
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_DefineBoolParameter(const char *label, bool value, int32_t index, TEccParam *param) {
    ENTER("BL_DefineBoolParameter");
    return define(label, PARAM_BOOLEAN, value ? 1u : 0u, index, param);
}

BL_EXPORT int32_t BL_CALL BL_DefineSglParameter(const char *label, float value, int32_t index, TEccParam *param) {
    ENTER("BL_DefineSglParameter");
    return define(label, PARAM_SINGLE, float_to_bits(value), index, param);
}

BL_EXPORT int32_t BL_CALL BL_DefineIntParameter(const char *label, int32_t value, int32_t index, TEccParam *param) {
    ENTER("BL_DefineIntParameter");
    return define(label, PARAM_INT, (uint32_t)value, index, param);
}

static const TechniqueFile *technique_for(const char *ecc_file, int *incompatible) {
    const char *b = base_name(ecc_file);
    *incompatible = 0;
    for (const TechniqueFile *tf = TECHNIQUE_FILES; tf->base; tf++) {
        size_t n = strlen(tf->base);
        if (strncmp(b, tf->base, n) != 0) continue;
        if (strcmp(b + n, "4.ecc") == 0) return tf;                 /* PREMIUM board: "<name>4.ecc" */
        if (strcmp(b + n, ".ecc") == 0 || strcmp(b + n, "5.ecc") == 0) *incompatible = 1;
    }
    return 0;
}

BL_EXPORT int32_t BL_CALL BL_LoadTechnique(int32_t id, uint8_t channel, const char *ecc_file, TEccParams params,
                                           bool first, bool last, bool display) {
    ENTER("BL_LoadTechnique");
    (void)last;
    (void)display;
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!channel_ok(channel)) return ERR_GEN_CHANNELNOTPLUGGED;
    Channel *ch = &channels[channel];
    catch_up(ch);
    if (!ch->firmware && !instr.eclab_firmware) return ERR_FIRM_FIRMWARENOTLOADED;
    if (ch->state != KBIO_STATE_STOP) return ERR_GEN_CHANNEL_RUNNING;
    if (!ecc_file) return ERR_GEN_INVALIDPARAMETERS;
    int incompatible;
    const TechniqueFile *tf = technique_for(ecc_file, &incompatible);
    if (!tf) return incompatible ? ERR_TECH_INCOMPATIBLEECC : ERR_TECH_ECCFILENOTEXISTS;
    if (params.len < 0 || params.len > MAX_PARAMS || (params.len > 0 && !params.pParams))
        return ERR_GEN_INVALIDPARAMETERS;
    if (first) ch->ntech = 0;
    if (ch->ntech >= MAX_TECHNIQUES) return ERR_GEN_FUNCTIONFAILED;
    Technique t;
    memset(&t, 0, sizeof(t));
    t.id = tf->id;
    for (int k = 0; k < params.len; k++) {
        const TEccParam *p = &params.pParams[k];
        if (memchr(p->ParamStr, 0, sizeof(p->ParamStr)) == 0) return ERR_GEN_INVALIDPARAMETERS;
        const Field *f = tf->fields;
        while (f->label && strcmp(f->label, p->ParamStr) != 0) f++;
        if (!f->label || f->type != p->ParamType) return ERR_GEN_INVALIDPARAMETERS;
        if (p->ParamIndex < 0 || (!f->array && p->ParamIndex != 0) || p->ParamIndex >= MAX_STEPS)
            return ERR_GEN_INVALIDPARAMETERS;
        Param *q = &t.params[t.nparams++];
        strncpy(q->label, p->ParamStr, sizeof(q->label) - 1);
        q->type = p->ParamType;
        q->bits = p->ParamVal;
        q->index = p->ParamIndex;
    }
    if (t.id == KBIO_TECHID_PEIS || t.id == KBIO_TECHID_GEIS) {
        double fi = pf(&t, "Initial_frequency", 0, -1), ff = pf(&t, "Final_frequency", 0, -1);
        int n = (int)pf(&t, "Frequency_number", 0, 0);
        if (fi <= 0 || ff <= 0 || fi > 7e6 * (1 + 1e-6) || ff > 7e6 * (1 + 1e-6) || fi < 1e-5 || ff < 1e-5 ||
            n < 1 || n > MAX_FREQ)
            return ERR_GEN_INVALIDPARAMETERS;
        if (t.id == KBIO_TECHID_GEIS && !find_param(&t, "I_Range", 0)) return ERR_GEN_INVALIDPARAMETERS;
    }
    if (t.id == KBIO_TECHID_CA || t.id == KBIO_TECHID_CP) {
        int steps = (int)pf(&t, "Step_number", 0, 0) + 1;
        if (steps < 1 || steps > MAX_STEPS) return ERR_GEN_INVALIDPARAMETERS;
        const char *value = t.id == KBIO_TECHID_CP ? "Current_step" : "Voltage_step";
        for (int s = 0; s < steps; s++)
            if (!find_param(&t, value, s) || !find_param(&t, "Duration_step", s)) return ERR_GEN_INVALIDPARAMETERS;
    }
    ch->tech[ch->ntech++] = t;
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_StartChannel(int32_t id, uint8_t channel) {
    ENTER("BL_StartChannel");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!channel_ok(channel)) return ERR_GEN_CHANNELNOTPLUGGED;
    Channel *ch = &channels[channel];
    catch_up(ch);
    if (!ch->firmware && !instr.eclab_firmware) return ERR_FIRM_FIRMWARENOTLOADED;
    if (ch->state != KBIO_STATE_STOP) return ERR_GEN_CHANNEL_RUNNING;
    if (ch->ntech == 0) return ERR_GEN_FUNCTIONFAILED;
    ch->head = ch->count = ch->skipped = 0;
    ch->state = KBIO_STATE_RUN;
    ch->t_origin = now_s();
    ch->t = 0.0;
    begin_technique(ch, 0, 0.0);
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_StopChannel(int32_t id, uint8_t channel) {
    ENTER("BL_StopChannel");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!channel_ok(channel)) return ERR_GEN_CHANNELNOTPLUGGED;
    Channel *ch = &channels[channel];
    catch_up(ch);
    stop(ch);
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_GetCurrentValues(int32_t id, uint8_t channel, TCurrentValues *values) {
    ENTER("BL_GetCurrentValues");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!channel_ok(channel)) return ERR_GEN_CHANNELNOTPLUGGED;
    if (!values) return ERR_GEN_INVALIDPARAMETERS;
    Channel *ch = &channels[channel];
    catch_up(ch);
    fill_values(ch, values);
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_GetData(int32_t id, uint8_t channel, uint32_t *buffer, TDataInfos *infos,
                                     TCurrentValues *values) {
    ENTER("BL_GetData");
    if (!connected(id)) return ERR_GEN_NOTCONNECTED;
    if (!channel_ok(channel)) return ERR_GEN_CHANNELNOTPLUGGED;
    if (!buffer || !infos || !values) return ERR_GEN_INVALIDPARAMETERS;
    Channel *ch = &channels[channel];
    catch_up(ch);
    memset(infos, 0, sizeof(*infos));
    fill_values(ch, values);
    infos->IRQskipped = ch->skipped;
    ch->skipped = 0;
    if (ch->count == 0) {
        infos->TechniqueIndex = ch->active;
        infos->TechniqueID = ch->ntech ? ch->tech[ch->active].id : 0;
        infos->StartTime = ch->tech_start;
        return ERR_NOERROR;
    }
    /* one technique and one process per call, as many whole rows as fit in the buffer */
    const Row *r0 = &ch->fifo[ch->head];
    int max_rows = DATA_BUFFER_WORDS / r0->ncols, n = 0;
    while (n < ch->count && n < max_rows) {
        const Row *r = &ch->fifo[(ch->head + n) % FIFO_ROWS];
        if (r->tech_index != r0->tech_index || r->process != r0->process || r->ncols != r0->ncols) break;
        memcpy(buffer + n * r0->ncols, r->words, sizeof(uint32_t) * (size_t)r0->ncols);
        n++;
    }
    infos->NbRows = n;
    infos->NbCols = r0->ncols;
    infos->TechniqueIndex = r0->tech_index;
    infos->TechniqueID = r0->tech_id;
    infos->ProcessIndex = r0->process;
    infos->loop = r0->loop;
    infos->StartTime = r0->start_time;
    ch->head = (ch->head + n) % FIFO_ROWS;
    ch->count -= n;
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_ConvertNumericIntoSingle(uint32_t value, float *result) {
    ENTER("BL_ConvertNumericIntoSingle");
    if (!result) return ERR_GEN_INVALIDPARAMETERS;
    *result = bits_to_float(value);
    return ERR_NOERROR;
}

BL_EXPORT int32_t BL_CALL BL_ConvertChannelNumericIntoSingle(uint32_t value, float *result, uint32_t board_type) {
    ENTER("BL_ConvertChannelNumericIntoSingle");
    if (!result || board_type > BOARD_DIGICORE) return ERR_GEN_INVALIDPARAMETERS;
    *result = bits_to_float(value);
    return ERR_NOERROR;
}

/* ---------------------------------------------------------------------------------------------- */
/* stand-in only                                                                                    */

BL_EXPORT void StandIn_SetClock(clock_fn fn) { clock_cb = fn; }

/* Set a value: cell (r0_ohm, r1_ohm, c1_f, r2_ohm, c2_f, r_short_ohm, short_current_a, short_delay_s,
 * e_ocv_v), instrument (plugged, eclab_firmware, max_connections) or "reset" (every value back to its
 * default, channels stopped and empty, connections closed, the cell unshorted). Returns 0, or -4 for an
 * unknown key. */
BL_EXPORT int32_t StandIn_Set(const char *key, double value) {
    init();
    if (!key) return ERR_GEN_INVALIDPARAMETERS;
    if (!strcmp(key, "r0_ohm")) instr.r0 = value;
    else if (!strcmp(key, "r1_ohm")) instr.r1 = value;
    else if (!strcmp(key, "c1_f")) instr.c1 = value;
    else if (!strcmp(key, "r2_ohm")) instr.r2 = value;
    else if (!strcmp(key, "c2_f")) instr.c2 = value;
    else if (!strcmp(key, "r_short_ohm")) instr.r_short = value;
    else if (!strcmp(key, "short_current_a")) instr.short_current_a = value;
    else if (!strcmp(key, "short_delay_s")) instr.short_delay_s = value;
    else if (!strcmp(key, "e_ocv_v")) instr.e_ocv = value;
    else if (!strcmp(key, "plugged")) {
        if (value < 0 || value > MAX_PLUGGED) return ERR_GEN_INVALIDPARAMETERS;
        instr.plugged = (int)value;
    }
    else if (!strcmp(key, "eclab_firmware")) instr.eclab_firmware = (int)value;
    else if (!strcmp(key, "max_connections")) instr.max_connections = (int)value;
    else if (!strcmp(key, "reset")) {
        Instrument defaults = INSTRUMENT_DEFAULTS;
        for (int c = 0; c < MAX_SLOT_NB; c++) reset_channel(c);
        instr = defaults;
        fault.count = 0;
    } else return ERR_GEN_INVALIDPARAMETERS;
    return ERR_NOERROR;
}

/* Read a value of channel 0..15 ("state", "current_a", "ewe_v", "shorted", "techniques", "firmware",
 * "time_s") or of the instrument ("connections", "calls"). */
BL_EXPORT int32_t StandIn_Get(const char *key, int32_t channel, double *value) {
    init();
    if (!key || !value || channel < 0 || channel >= MAX_SLOT_NB) return ERR_GEN_INVALIDPARAMETERS;
    Channel *ch = &channels[channel];
    catch_up(ch);
    if (!strcmp(key, "state")) *value = ch->state;
    else if (!strcmp(key, "current_a")) *value = ch->i;
    else if (!strcmp(key, "ewe_v")) *value = cell_ewe(ch);
    else if (!strcmp(key, "shorted")) *value = ch->shorted;
    else if (!strcmp(key, "techniques")) *value = ch->ntech;
    else if (!strcmp(key, "firmware")) *value = ch->firmware;
    else if (!strcmp(key, "time_s")) *value = ch->t;
    else if (!strcmp(key, "connections")) {
        int n = 0;
        for (int k = 0; k < MAX_CONNECTIONS; k++) n += instr.connections[k];
        *value = n;
    } else if (!strcmp(key, "calls")) *value = instr.calls;
    else return ERR_GEN_INVALIDPARAMETERS;
    return ERR_NOERROR;
}

/* The next `count` calls of `function` ("*": any BL_ function) return `code`; count < 0: until cleared
 * (count 0). */
BL_EXPORT void StandIn_Fail(const char *function, int32_t code, int32_t count) {
    init();
    strncpy(fault.function, function ? function : "*", sizeof(fault.function) - 1);
    fault.code = code;
    fault.count = count;
}
