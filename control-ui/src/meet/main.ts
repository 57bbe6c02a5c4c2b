// Entry of meet.html, served at /meet/:code: the browser participant (F6: no account needed).
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import '../shared/theme.css';
import './meet.css';
import MeetApp from './MeetApp.vue';

createApp(MeetApp).use(createPinia()).mount('#app');
