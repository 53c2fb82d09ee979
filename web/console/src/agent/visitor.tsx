/** The visitor beside the chat (GET /v1/chats/{id}/context): intent and abandonment risk with the
 * features that weighed most, in words; the journey (pages with views and time, products, cart,
 * furthest checkout step, "dropped out at checkout", the latest steps); earlier chats and their
 * surveys. */
import type { Api } from "../api";
import { ErrorBanner, duration, money } from "../components";
import { usePolled } from "../hooks";
import { featureWords, pathOf, percent, riskLevel, riskWords, stepWords } from "./logic";
import type { ChatContext } from "./types";

export const CONTEXT_POLL_MS = 10_000;

function Scores({ context }: { context: ChatContext }) {
  const decision = context.latest_decision;
  const intent = decision?.score ?? context.score_at_offer;
  const risk = decision?.abandonment_risk ?? null;
  return (
    <div class="scores">
      <p>
        Purchase intent: <strong>{intent === null || intent === undefined ? "unknown" : percent(intent)}</strong>
        {" · "}
        <span class={risk === null ? "muted" : `risk-${riskLevel(risk)}`}>{riskWords(risk)}</span>
      </p>
      {decision && decision.top_features.length > 0 && (
        <>
          <h4>What weighed most</h4>
          <ul class="features">
            {decision.top_features.slice(0, 3).map((feature) => (
              <li key={feature.feature}>{featureWords(feature)}.</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Journey({ context }: { context: ChatContext }) {
  const currency = context.currency ?? "EUR";
  if (!context.session_found) return <p class="muted">No tracked journey in this session yet (the visitor may have declined cookies).</p>;
  return (
    <>
      <ul class="journey-facts">
        <li>
          Stage: <strong>{context.stage}</strong>, {duration(context.time_on_site_seconds)} on the site
          {context.returning_visitor ? ", returning visitor" : ", first visit"}
        </li>
        <li data-kr="checkout-step">
          Furthest checkout step: <strong>{context.furthest_checkout_step > 0 ? `step ${context.furthest_checkout_step}` : "not started"}</strong>
        </li>
        {context.dropped_out_at_checkout && (
          <li class="risk-high" data-kr="dropped-out">
            Dropped out at checkout
          </li>
        )}
        {context.purchases > 0 && (
          <li>
            Bought {context.purchases}× for {money(context.revenue, currency)}
          </li>
        )}
      </ul>
      <h4>Cart · {money(context.cart_value, currency)}</h4>
      {context.cart.length === 0 ? (
        <p class="muted">Empty.</p>
      ) : (
        <ul class="cart">
          {context.cart.map((line) => (
            <li key={line.product_id} data-kr="cart-line" data-product-id={line.product_id}>
              {line.quantity}× <strong>{line.product_id}</strong> {line.category ? `(${line.category})` : ""} {money(line.value, currency)}
            </li>
          ))}
        </ul>
      )}
      <h4>Products viewed</h4>
      {context.products.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <ul class="products">
          {context.products.map((product) => (
            <li key={product.product_id} data-kr="viewed-product" data-product-id={product.product_id}>
              <strong>{product.product_id}</strong> {product.category ? `(${product.category})` : ""} · {product.views} view{product.views === 1 ? "" : "s"}
              {product.value !== null ? ` · ${money(product.value, currency)}` : ""}
              {product.in_cart ? " · in cart" : ""}
            </li>
          ))}
        </ul>
      )}
      <h4>Pages ({context.distinct_pages})</h4>
      <table class="table compact">
        <caption class="visually-hidden">Pages viewed, most viewed first</caption>
        <thead>
          <tr>
            <th scope="col">Page</th>
            <th scope="col" class="num">Views</th>
            <th scope="col" class="num">Time</th>
          </tr>
        </thead>
        <tbody>
          {context.pages.map((page) => (
            <tr key={page.url}>
              <td>{pathOf(page.url)}</td>
              <td class="num">{page.views}</td>
              <td class="num">{duration(page.seconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Latest steps</h4>
      <ol class="timeline">
        {context.recent_steps.map((step, index) => (
          <li key={`${step.at}-${index}`}>
            <time dateTime={step.at}>{new Date(step.at).toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit", second: "2-digit" })}</time>{" "}
            {stepWords(step)}
          </li>
        ))}
      </ol>
    </>
  );
}

function EarlierChats({ context }: { context: ChatContext }) {
  if (context.earlier_chats.length === 0) return <p class="muted">No earlier chats.</p>;
  return (
    <ul class="earlier">
      {context.earlier_chats.map((chat) => (
        <li key={chat.chat_id}>
          {new Date(chat.created_at).toLocaleDateString("nl-NL")} · {chat.category ?? "no category"} · {chat.agent?.display_name ?? "no agent"}
          {chat.resolved === true ? " · resolved" : chat.resolved === false ? " · not resolved" : ""}
          {chat.converted ? ` · bought${chat.conversion_value !== null ? ` ${money(chat.conversion_value)}` : ""}` : ""}
          {chat.survey ? (
            <span class="survey">
              {" "}
              · survey: {[chat.survey.csat !== null ? `CSAT ${chat.survey.csat}/5` : null, chat.survey.nps !== null ? `NPS ${chat.survey.nps}/10` : null, chat.survey.ces !== null ? `effort ${chat.survey.ces}/7` : null].filter(Boolean).join(", ")}
            </span>
          ) : (
            " · no survey"
          )}
        </li>
      ))}
    </ul>
  );
}

export function VisitorPanel(props: { api: Api; chatId: string }) {
  const { data, error, refresh } = usePolled(
    () => props.api.get<ChatContext>(`/v1/chats/${encodeURIComponent(props.chatId)}/context`),
    { intervalMs: CONTEXT_POLL_MS, maxMs: 60_000 },
    [props.api, props.chatId],
  );
  return (
    <section class="panel visitor" aria-labelledby="visitor-title" data-kr="visitor-context">
      <h2 id="visitor-title">The visitor</h2>
      <ErrorBanner error={error} onRetry={refresh} />
      {!data ? (
        <p class="muted">Loading the journey…</p>
      ) : (
        <>
          <Scores context={data} />
          <Journey context={data} />
          <h3>Earlier chats</h3>
          <EarlierChats context={data} />
        </>
      )}
    </section>
  );
}
