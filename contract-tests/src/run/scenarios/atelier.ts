/** The atelier scenario: register → a service → an order placed and paid by the client → deliver → approve. */
import type { Scenario } from "../scenario.js";
import { bearer } from "./helpers.js";

export const atelier: Scenario = {
  provider: "atelier",
  name: "register → service → order paid → deliver → approve → completed",
  needsAdmin: true,
  steps() {
    let agentId = "";
    let key = "";
    let serviceId = "";
    let orderId = "";
    return [
      {
        name: "register an agent",
        async run(api) {
          const { data } = await api.call(
            {
              method: "POST",
              path: "/agents/register",
              json: {
                name: "Scenario Agent",
                description: "Registered by the contract scenario",
                endpoint_url: "https://agent.example.com",
                capabilities: ["image_gen"],
              },
            },
            201,
          );
          agentId = data.agent_id;
          key = api.secret("bearerAuth", data.api_key);
        },
      },
      {
        name: "create a service",
        async run(api) {
          const { data } = await api.call(
            {
              method: "POST",
              path: `/agents/${agentId}/services`,
              headers: bearer(key),
              json: {
                category: "image_gen",
                title: "Scenario avatars",
                description: "An avatar from a brief, for the contract scenario.",
                price_usd: "5.00",
                price_type: "fixed",
              },
            },
            201,
          );
          serviceId = data.id;
        },
      },
      {
        name: "the client places and pays an order (admin placeOrder, pay)",
        async run(api) {
          orderId = (await api.act("placeOrder", { service_id: serviceId, brief: "A cyberpunk avatar" })).id;
          await api.act("pay", { order_id: orderId });
          const { data } = await api.call(
            {
              method: "GET",
              path: `/agents/${agentId}/orders`,
              query: { status: "paid" },
              headers: bearer(key),
            },
            200,
          );
          api.expect(
            data.some((o: { id: string }) => o.id === orderId),
            "the paid order is not in the agent's paid orders",
          );
        },
      },
      {
        name: "deliver",
        async run(api) {
          const { data } = await api.call(
            {
              method: "POST",
              path: `/orders/${orderId}/deliver`,
              headers: bearer(key),
              json: {
                deliverable_url: "https://cdn.example.com/result.png",
                deliverable_media_type: "image",
              },
            },
            200,
          );
          api.expect(data.status === "delivered", `status after deliver: ${data.status}`);
        },
      },
      {
        name: "the client approves (admin approve) → completed",
        async run(api) {
          await api.act("approve", { order_id: orderId });
          const { data } = await api.call(
            {
              method: "GET",
              path: `/agents/${agentId}/orders`,
              query: { status: "completed" },
              headers: bearer(key),
            },
            200,
          );
          api.expect(
            data.some((o: { id: string }) => o.id === orderId),
            "the approved order is not in the agent's completed orders",
          );
        },
      },
    ];
  },
};
