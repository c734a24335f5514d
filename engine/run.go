package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/notimon/notimon/dsl"
)

// RunOnce is one run from cron (`notimon run --once`): call Restore first. It ticks at
// now, lets the chains the tick started or resumed finish (their waits included) within
// settings.chain_timeout, delivers what is in the outbox (within settings.delivery_budget,
// one attempt per message: see onceRun), and saves the state for the next
// run. Chains still running when the timeout ends are stopped at their current step and
// resume on the next run; undelivered messages stay in the outbox for it.
//
// It returns the tick's report and every problem of the run, each to be shown on a line of
// its own: rules that could not be evaluated, failed steps and deliveries, the timeout, a
// state that could not be saved. A dry run ticks and returns; it waits, sends and saves
// nothing.
func (e *Engine) RunOnce(ctx context.Context, now time.Time) (*Report, []error) {
	if !e.opts.DryRun {
		budget := e.config().Settings.DeliveryBudget
		if budget <= 0 {
			budget = dsl.DefaultDeliveryBudget
		}
		e.flush.mu.Lock()
		e.flush.once = &onceRun{budget: budget, left: budget, failed: map[string]bool{}}
		e.flush.mu.Unlock()
		defer func() {
			e.flush.mu.Lock()
			e.flush.once = nil
			e.flush.mu.Unlock()
		}()
	}
	rep := e.Tick(ctx, now)
	errs := rep.Errs()
	if e.opts.DryRun {
		return rep, errs
	}
	limit := e.config().Settings.ChainTimeout
	wait, cancel := context.WithTimeout(ctx, limit)
	chains, _ := e.finish(wait)
	cancel()
	if chains != nil {
		errs = append(errs, fmt.Errorf("chains still running after settings.chain_timeout (%s) were stopped; they resume on the next run", limit))
	}
	if err := e.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("undelivered messages stay in the outbox for the next run: %w", err))
	}
	// Self-alerts about failing notifiers get what is left of the delivery budget.
	e.flush.mu.Lock()
	left := e.flush.once.left
	e.flush.mu.Unlock()
	alerts, cancelAlerts := context.WithTimeout(ctx, max(left, 0))
	e.HealthAlerts(alerts)
	cancelAlerts()
	errs = append(errs, e.Errs()...)
	if err := e.Save(); err != nil {
		errs = append(errs, err)
	}
	return rep, errs
}

// finish is how a run ends, from cron (RunOnce) or when the daemon stops (shutdown):
// running chains may go on until ctx ends, and deliveries in progress get what is left of
// it. When ctx ends first, chains stop at their current step (their cursors are saved,
// the next run resumes them) and deliveries stop at their current attempt (what they
// could not deliver stays in the outbox). chains and deliveries are ctx's error when they
// were cut short, else nil.
func (e *Engine) finish(ctx context.Context) (chains, deliveries error) {
	chains = e.Wait(ctx)
	if deliveries = e.WaitDeliveries(ctx); deliveries != nil {
		e.cancel()
		e.WaitDeliveries(context.Background())
	}
	return chains, deliveries
}
