/** What the agent pages read from the API (docs/openapi.json), as the console uses it. */

export type AgentStatus = "available" | "away" | "offline";

export interface AgentView {
  agent_id: string;
  display_name: string;
  categories: string[];
  max_chats: number;
  discount_mandate_percent: number;
  status: AgentStatus;
  set_status: AgentStatus;
  active_chats: number;
  free_slots: number;
  last_seen_at: string | null;
}

export type ChatStatus = "queued" | "assigned" | "ended";

export interface InboxChat {
  chat_id: string;
  visitor_id: string;
  status: ChatStatus;
  category: string | null;
  created_at: string;
  waiting_seconds: number;
  cart_value: number;
  purchase_intent: number | null;
  abandonment_risk: number | null;
}

export interface Inbox {
  agent_id: string;
  assigned: InboxChat[];
  queue: InboxChat[];
}

export type Author = "visitor" | "agent" | "bot" | "system";

export interface Message {
  message_id: string;
  author: Author;
  agent_id?: string | null;
  text: string;
  at: string;
  from_bot?: boolean;
}

export interface ChatView {
  chat_id: string;
  status: ChatStatus;
  agent: { agent_id: string; display_name: string } | null;
  messages: Message[];
  next_since: string | null;
  category: string | null;
  created_at: string;
  discount_code: string | null;
  discount_percent: number | null;
  resolved: boolean | null;
}

export interface WeighingFeature {
  feature: string;
  value: number;
  effect: number;
}

export interface PageVisits {
  url: string;
  page_type: string | null;
  views: number;
  seconds: number;
  first_at: string;
  last_at: string;
}

export interface ProductInterest {
  product_id: string;
  category: string | null;
  views: number;
  value: number | null;
  in_cart: boolean;
}

export interface CartItem {
  product_id: string;
  quantity: number;
  unit_value: number;
  category: string | null;
  value: number;
}

export interface SurveySummary {
  csat: number | null;
  nps: number | null;
  ces: number | null;
  at: string;
}

export interface EarlierChat {
  chat_id: string;
  created_at: string;
  same_session: boolean;
  category: string | null;
  agent: { agent_id: string; display_name: string } | null;
  status: ChatStatus;
  resolved: boolean | null;
  converted: boolean;
  conversion_value: number | null;
  discount_percent: number | null;
  survey: SurveySummary | null;
}

export interface JourneyStep {
  at: string;
  type: string;
  url?: string | null;
  page_type?: string | null;
  category?: string | null;
  product_id?: string | null;
  value?: number | null;
  step?: number | null;
}

export interface ChatContext {
  chat_id: string;
  visitor_id: string;
  session_found: boolean;
  stage: string;
  time_on_site_seconds: number;
  landing_url: string | null;
  current_url: string | null;
  pages: PageVisits[];
  distinct_pages: number;
  products: ProductInterest[];
  cart: CartItem[];
  cart_value: number;
  currency: string | null;
  furthest_checkout_step: number;
  dropped_out_at_checkout: boolean;
  purchases: number;
  revenue: number;
  score_at_offer: number | null;
  latest_decision: {
    at: string;
    reason: string;
    score: number | null;
    abandonment_risk: number | null;
    top_features: WeighingFeature[];
  } | null;
  recent_steps: JourneyStep[];
  earlier_chats: EarlierChat[];
  other_sessions: number;
  returning_visitor: boolean;
}

export interface Suggestion {
  entry_id: string;
  kind: string;
  title: string;
  body: string;
  score: number;
  matched_terms: string[];
}

export interface Feedback {
  chat_id: string;
  at: string;
  agent_id: string | null;
  agent_name: string | null;
  category: string | null;
  csat: number | null;
  nps: number | null;
  ces: number | null;
  preferred_channel: string | null;
  comment: string | null;
}

export interface FeedbackList {
  feedback: Feedback[];
}
