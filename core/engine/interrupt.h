/* The interrupt request (SIGINT/SIGTERM): set by the CLI's signal handler, read by the C timing loops
   between samples and by the Lua runner between chunks, so a run stops after the current sample
   wherever it is (inside a C loop, a user pcall or a coroutine). */
#ifndef ROBOLUA_INTERRUPT_H
#define ROBOLUA_INTERRUPT_H
#ifdef __cplusplus
extern "C" {
#endif
void rl_interrupt_request(int signo);
/* The signal that asked for the interrupt, or 0. */
int rl_interrupt_requested(void);
void rl_interrupt_clear(void);
/* While polling is on (the scenario runner is measuring) a signal only sets the request, which the
   runner honours after the current sample; otherwise the CLI also stops the Lua code at once. */
void rl_interrupt_set_polling(int on);
int rl_interrupt_polling(void);
#ifdef __cplusplus
}
#endif
#endif
